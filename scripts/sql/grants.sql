-- Least-privilege grants for infralogs (docs/schema.md). Replace the placeholders before use:
--   @DB@         the database, e.g. infralogs
--   @COLLECTOR@  the collector's account, e.g. 'infralogs_collect'@'%'
--   @READER@     the dashboard's and query's account, e.g. 'infralogs_read'@'%'
-- The collector writes only what collect writes. ALTER, CREATE and DROP on entries are for its
-- day partitions (adding them, and dropping them for --retain-days). The reader only reads;
-- point it at the replica.
GRANT SELECT ON @DB@.schema_migrations TO @COLLECTOR@;
GRANT SELECT, INSERT, UPDATE ON @DB@.hosts TO @COLLECTOR@;
GRANT INSERT, ALTER, CREATE, DROP ON @DB@.entries TO @COLLECTOR@;
GRANT SELECT, INSERT, UPDATE ON @DB@.checkpoints TO @COLLECTOR@;
GRANT SELECT, INSERT, UPDATE ON @DB@.rollups_hourly TO @COLLECTOR@;
GRANT SELECT, INSERT, UPDATE ON @DB@.rollups_identifier_hourly TO @COLLECTOR@;
GRANT INSERT ON @DB@.gaps TO @COLLECTOR@;
GRANT INSERT ON @DB@.collector_runs TO @COLLECTOR@;
GRANT INSERT, DELETE ON @DB@.heartbeat TO @COLLECTOR@;
GRANT INSERT, DELETE ON @DB@.credential_reports TO @COLLECTOR@;
GRANT SELECT ON @DB@.* TO @READER@;
