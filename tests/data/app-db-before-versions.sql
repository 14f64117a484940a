PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE IF NOT EXISTS "profiles" (
   "name" TEXT PRIMARY KEY,
   "url" TEXT,
   "username" TEXT,
   "kind" TEXT
);
INSERT INTO profiles VALUES('lab','http://127.0.0.1:9','operator','native');
CREATE TABLE IF NOT EXISTS "settings" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT
);
INSERT INTO settings VALUES('theme','"dark"');
CREATE TABLE IF NOT EXISTS "test_runs" (
   "id" INTEGER PRIMARY KEY,
   "suites" TEXT,
   "target_url" TEXT,
   "target_name" TEXT,
   "kind" TEXT,
   "node_version" TEXT,
   "height_at_start" INTEGER,
   "status" TEXT,
   "started" REAL,
   "finished" REAL,
   "total" INTEGER,
   "passed" INTEGER,
   "failed" INTEGER,
   "errors" INTEGER,
   "skipped" INTEGER,
   "na" INTEGER,
   "message" TEXT
);
INSERT INTO test_runs VALUES(1,'["conformance"]','http://127.0.0.1:8645','Devnet','native','0.1.0',7,'FAILED',1796248120.0118751525,1796248120.0146842002,2,1,1,0,0,0,'');
INSERT INTO test_runs VALUES(2,'["e2e"]','http://127.0.0.1:8645','Devnet','native','',0,'RUNNING',1796248120.0157063006,NULL,0,0,0,0,0,0,'');
CREATE TABLE IF NOT EXISTS "test_results" (
   "run_id" INTEGER REFERENCES "test_runs"("id"),
   "nodeid" TEXT,
   "outcome" TEXT,
   "duration" REAL,
   "message" TEXT,
   "longrepr" TEXT,
   "output" TEXT,
   PRIMARY KEY ("run_id", "nodeid")
);
INSERT INTO test_results VALUES(1,'conformance/test_a.py::test_one','passed',0.25,'','','');
INSERT INTO test_results VALUES(1,'conformance/test_a.py::test_two','failed',0.25,'boom','','');
INSERT INTO test_results VALUES(2,'e2e/test_b.py::test_x','passed',1.5,'','','');
CREATE TABLE IF NOT EXISTS "alert_rules" (
   "key" TEXT PRIMARY KEY,
   "threshold" REAL,
   "duration_s" REAL,
   "enabled" INTEGER
);
CREATE TABLE IF NOT EXISTS "alerts" (
   "id" INTEGER PRIMARY KEY,
   "rule" TEXT,
   "title" TEXT,
   "node" TEXT,
   "message" TEXT,
   "started" REAL,
   "resolved" REAL
);
CREATE TABLE IF NOT EXISTS "clusters" (
   "name" TEXT PRIMARY KEY,
   "kind" TEXT,
   "urls" TEXT,
   "username" TEXT,
   "followers" INTEGER
);
INSERT INTO clusters VALUES('Pair','local','["http://127.0.0.1:1"]','operator',1);
CREATE INDEX "idx_test_runs_started"
    ON "test_runs" ("started");
CREATE INDEX "idx_alerts_started"
    ON "alerts" ("started");
COMMIT;
