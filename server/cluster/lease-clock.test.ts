// The lease's timing logic on a clock the test moves: who creates, renews, waits and takes over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaseClock, type LeaseRecord } from './lease.ts';

const DURATION = 15_000;

function clocked(identity: string) {
  const time = { now: 1_000_000 };
  return { time, clock: new LeaseClock(identity, DURATION, () => time.now) };
}

const held = (holder: string | undefined, version: string): LeaseRecord => ({ holder, durationMs: DURATION, version });

test('no lease yet: create it; once accepted, this process holds it until its renewal expires', () => {
  const { time, clock } = clocked('a');
  assert.equal(clock.decide(undefined), 'create');
  assert.equal(clock.holding, false, 'not held before the API accepted the write');
  clock.acquired(clock.now());
  assert.equal(clock.holding, true);
  time.now += DURATION - 1;
  assert.equal(clock.holding, true);
  time.now += 1;
  assert.equal(clock.holding, false, 'a holder that could not renew stops at its own renewal plus the duration');
});

test('its own lease: renew', () => {
  const { clock } = clocked('a');
  assert.equal(clock.decide(held('a', '7')), 'renew');
});

test("another holder's lease is taken over only after its record stood still for the duration, on this process's clock", () => {
  const { time, clock } = clocked('b');
  assert.equal(clock.decide(held('a', '1')), 'wait');
  time.now += DURATION - 1;
  assert.equal(clock.decide(held('a', '1')), 'wait');
  time.now += 1;
  assert.equal(clock.decide(held('a', '1')), 'take');
});

test('a renewal seen (the record changed) starts the wait again', () => {
  const { time, clock } = clocked('b');
  assert.equal(clock.decide(held('a', '1')), 'wait');
  time.now += DURATION - 1000;
  assert.equal(clock.decide(held('a', '2')), 'wait');
  time.now += DURATION - 1;
  assert.equal(clock.decide(held('a', '2')), 'wait');
  time.now += 1;
  assert.equal(clock.decide(held('a', '2')), 'take');
});

test('the duration is the one the holder wrote in the record', () => {
  const { time, clock } = clocked('b');
  assert.equal(clock.decide({ holder: 'a', durationMs: 2000, version: '1' }), 'wait');
  time.now += 2000;
  assert.equal(clock.decide({ holder: 'a', durationMs: 2000, version: '1' }), 'take');
});

test('a released lease (no holder) is taken at once', () => {
  const { clock } = clocked('b');
  assert.equal(clock.decide(held(undefined, '9')), 'take');
});

test('a holder that finds someone else in the record no longer holds it', () => {
  const { clock } = clocked('a');
  clock.acquired(clock.now());
  assert.equal(clock.holding, true);
  assert.equal(clock.decide(held('b', '3')), 'wait');
  assert.equal(clock.holding, false);
});

test('a refused write (lost) ends holding at once', () => {
  const { clock } = clocked('a');
  clock.acquired(clock.now());
  clock.lost();
  assert.equal(clock.holding, false);
});
