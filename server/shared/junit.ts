import { XMLBuilder } from 'fast-xml-parser';

// JUnit XML, the format CI systems read test results in, for every report that offers it (lab
// grades, a workshop's grades, a class's exam results). The document is built from this model
// by fast-xml-parser, which escapes every name and message.

export type JunitCase = { name: string; classname: string; failure?: { message: string; text: string } };
export type JunitSuite = { name: string; id: string; timestamp: string; properties: Record<string, string>; cases: JunitCase[] };

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true, suppressEmptyNode: true });

function suiteElement(suite: JunitSuite) {
  const failures = suite.cases.filter((testCase) => testCase.failure).length;
  return {
    '@name': suite.name,
    '@id': suite.id,
    '@tests': suite.cases.length,
    '@failures': failures,
    '@timestamp': suite.timestamp,
    properties: { property: Object.entries(suite.properties).map(([name, value]) => ({ '@name': name, '@value': value })) },
    testcase: suite.cases.map((testCase) => ({
      '@name': testCase.name,
      '@classname': testCase.classname,
      ...(testCase.failure ? { failure: { '@message': testCase.failure.message, '#text': testCase.failure.text } } : {}),
    })),
  };
}

export function junitDocument(suites: JunitSuite[]): string {
  const count = (pick: (suite: JunitSuite) => number) => suites.reduce((total, suite) => total + pick(suite), 0);
  return builder
    .build({
      '?xml': { '@version': '1.0', '@encoding': 'UTF-8' },
      testsuites: {
        '@name': 'cnlab',
        '@tests': count((suite) => suite.cases.length),
        '@failures': count((suite) => suite.cases.filter((testCase) => testCase.failure).length),
        testsuite: suites.map(suiteElement),
      },
    })
    .trimEnd();
}
