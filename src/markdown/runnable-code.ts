import { definePlugin } from '@astrojs/starlight/expressive-code';

// A code block whose meta says `run` (```sh run) carries its command in data-runnable; the page's
// terminal adds a Run button to it that types the command into the learner's shell. Expressive
// Code already gives every block its Copy button.
export const runnableCode = definePlugin({
  name: 'cnlab-runnable-code',
  hooks: {
    postprocessRenderedBlock: ({ codeBlock, renderData }) => {
      if (!codeBlock.metaOptions.getBoolean('run')) return;
      renderData.blockAst.properties = { ...renderData.blockAst.properties, dataRunnable: codeBlock.code };
    },
  },
});
