// The progress database's schema, as numbered steps applied in order and recorded in
// schema_migrations. Written in SQL that SQLite and PostgreSQL both accept (text ids, integer
// milliseconds, 0/1 flags), so every backend runs the same steps. Never edit a released step:
// add the next one.

export const migrations: ReadonlyArray<{ version: number; statements: string[] }> = [
  {
    version: 1,
    statements: [
      `CREATE TABLE check_runs (
        learner TEXT NOT NULL,
        lab TEXT NOT NULL,
        task TEXT NOT NULL,
        passed INTEGER NOT NULL,
        messages TEXT NOT NULL,
        trigger TEXT NOT NULL,
        at BIGINT NOT NULL
      )`,
      'CREATE INDEX check_runs_by_learner ON check_runs (learner, lab, at)',
      `CREATE TABLE hints_used (
        learner TEXT NOT NULL,
        lab TEXT NOT NULL,
        task TEXT NOT NULL,
        hint INTEGER NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (learner, lab, task, hint)
      )`,
      `CREATE TABLE labs_completed (
        learner TEXT NOT NULL,
        lab TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (learner, lab)
      )`,
      `CREATE TABLE lessons_read (
        learner TEXT NOT NULL,
        lesson TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (learner, lesson)
      )`,
    ],
  },
  {
    version: 2,
    statements: [
      `CREATE TABLE workshops (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        labs TEXT NOT NULL,
        capacity INTEGER NOT NULL,
        starts_at BIGINT NOT NULL,
        ends_at BIGINT NOT NULL,
        instructor_token_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE workshop_members (
        workshop TEXT NOT NULL,
        learner TEXT NOT NULL,
        name TEXT NOT NULL,
        joined_at BIGINT NOT NULL,
        PRIMARY KEY (workshop, learner)
      )`,
    ],
  },
  {
    version: 3,
    statements: [
      `CREATE TABLE quiz_answers (
        learner TEXT NOT NULL,
        lesson TEXT NOT NULL,
        question TEXT NOT NULL,
        choices TEXT NOT NULL,
        correct INTEGER NOT NULL,
        at BIGINT NOT NULL
      )`,
      'CREATE INDEX quiz_answers_by_learner ON quiz_answers (learner, lesson, at)',
    ],
  },
  {
    version: 4,
    // When an ended workshop's namespaces were deleted: each workshop is cleaned up once.
    statements: ['ALTER TABLE workshops ADD COLUMN cleaned_at BIGINT'],
  },
  {
    version: 5,
    // Practice exams (server/store/exam-attempts.ts): one open attempt per learner and exam.
    statements: [
      `CREATE TABLE exam_attempts (
        id TEXT PRIMARY KEY,
        learner TEXT NOT NULL,
        exam TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        ends_at BIGINT NOT NULL,
        submitted_at BIGINT,
        questions TEXT NOT NULL,
        score TEXT
      )`,
      'CREATE UNIQUE INDEX exam_attempts_open ON exam_attempts (learner, exam) WHERE submitted_at IS NULL',
      'CREATE INDEX exam_attempts_by_learner ON exam_attempts (learner, exam, started_at)',
      `CREATE TABLE exam_answers (
        attempt TEXT NOT NULL,
        learner TEXT NOT NULL,
        question TEXT NOT NULL,
        choice INTEGER,
        flagged INTEGER NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (attempt, question)
      )`,
    ],
  },
  {
    version: 6,
    // Workshops that sit practice exams together: which exams, and when the instructor started
    // each one's sitting (everyone's clock runs from that moment).
    statements: [
      "ALTER TABLE workshops ADD COLUMN exams TEXT NOT NULL DEFAULT '[]'",
      `CREATE TABLE exam_sittings (
        workshop TEXT NOT NULL,
        exam TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        PRIMARY KEY (workshop, exam)
      )`,
    ],
  },
  {
    version: 7,
    // Events between server processes on one PostgreSQL (server/store/replica-bus.ts): NOTIFY
    // carries an id, the payload waits here for a minute. Unused with SQLite (one server).
    statements: [
      `CREATE TABLE replica_events (
        id TEXT PRIMARY KEY,
        payload TEXT NOT NULL,
        at BIGINT NOT NULL
      )`,
      'CREATE INDEX replica_events_by_time ON replica_events (at)',
    ],
  },
];
