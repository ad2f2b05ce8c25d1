-- Analysts (issue 21): every common report is one obvious query, fast, and none silently wrong.
--
--   * honest comments (what is really stored: NULL for Halo's 0/-1 "none", tombstone semantics);
--   * priorities keyed by (slaid, priorityid) among live rows, so the documented ticket join never doubles rows;
--   * report columns Halo sends but the mirror kept only in raw (actions, priorities, assets), back-filled from raw;
--   * change tracking: change_xid on every mirror table, stamped in the writing transaction, so a downstream job
--     can follow changes without missing rows committed while it reads;
--   * indexes for the common filters; report views (open tickets, first response, time entries, lookups);
--   * Windows time-zone names mapped to IANA names; sync freshness and rejects readable by halosync_reader.
-- Every new view and column carries a COMMENT (migrations_test.TestComments enforces it).

-- +goose Up

-- ---------------------------------------------------------------------------------------------------------
-- Honest comments.
COMMENT ON SCHEMA halo IS 'Mirror of HaloPSA, maintained by halosync: one table per Halo entity (raw holds each record as last received) plus report views. halosync_reader may read everything here; the columns listed in halosync.writable_columns may also be changed with SQL, and such changes are pushed to Halo (every other column follows Halo).';
COMMENT ON COLUMN halo.sites.timezone IS 'Site time zone as a Windows zone name (e.g. "GMT Standard Time"); NULL when unset. AT TIME ZONE needs an IANA name: join halo.windows_timezones or call halo.iana_timezone(timezone).';
COMMENT ON COLUMN halo.users.linked_agent_id IS 'Agent linked to this user (halo.agents.id); NULL when none (Halo sends 0).';
COMMENT ON COLUMN halo.tickets.details_html IS 'Ticket description as HTML; NULL when Halo sent none or an empty string.';
COMMENT ON COLUMN halo.tickets.priority_id IS 'Priority number within the ticket''s SLA. A priority number exists once per SLA, so join halo.priorities ON (slaid, priorityid) = (sla_id, priority_id): priorityid alone repeats once per SLA and multiplies rows. NULL when none.';
COMMENT ON COLUMN halo.tickets.sla_id IS 'SLA applied to the ticket (matches halo.priorities.slaid); NULL when none.';
COMMENT ON COLUMN halo.tickets.team_id IS 'Assigned team id (halo.teams.id); NULL when Halo did not send it (the field is not in Halo''s published list-row schema). team always holds the name.';
COMMENT ON COLUMN halo.tickets.contract_id IS 'Contract (halo.contracts.id); NULL when the ticket has none (Halo sends -1 or 0).';
COMMENT ON COLUMN halo.tickets.deleted IS 'Halo''s own deleted flag as last received in a normal list row. A ticket deleted in Halo usually keeps false here, and its old halo_updated_at: halosync learns of deletions from Halo''s deleted-tickets list or a full reconcile and records them in deleted_at only. Use deleted_at IS NULL for live tickets, never this flag.';
COMMENT ON COLUMN halo.tickets.dateclosed IS 'When the ticket was closed (UTC); NULL while open. The report views and indexes treat dateclosed IS NULL (and deleted_at IS NULL) as open.';
COMMENT ON COLUMN halo.agents.team IS 'Name of the agent''s primary team (a name, not an id; team names need not be unique). All of an agent''s teams, with ids: halo.agent_teams.';
COMMENT ON COLUMN halo.actions.who_agentid IS 'Agent who performed the action (halo.agents.id); NULL when not an agent (Halo sends 0 for the system and end users).';
COMMENT ON COLUMN halo.actions.actionby_agent_id IS 'Agent the action is attributed to (halo.agents.id); NULL when none.';
COMMENT ON COLUMN halo.actions.note_html IS 'Action text as HTML; NULL when Halo sent none or an empty string.';
COMMENT ON COLUMN halo.actions.new_status IS 'Status of the ticket after this action (halo.statuses.id). Halo sends the ticket''s status on every action, changed or not: the action changed the status when new_status IS DISTINCT FROM old_status. NULL when Halo sent none.';
COMMENT ON COLUMN halo.actions.timetaken IS 'Time logged on the action, in hours (decimal); 0 (not NULL) when no time was logged or Halo sent none. System actions ("Rule Applied") can carry time too: use halo.time_entries for time reports.';
COMMENT ON COLUMN halo.contracts.site_id IS 'Site the contract is limited to (halo.sites.id); NULL when client-wide (Halo sends 0 or -1).';
COMMENT ON COLUMN halo.priorities.priorityid IS 'Priority number as used in halo.tickets.priority_id; unique per SLA (slaid) among live rows, not on its own.';
COMMENT ON COLUMN halo.priorities.slaid IS 'SLA this priority belongs to (matches halo.tickets.sla_id). Join tickets on both: (slaid, priorityid) = (sla_id, priority_id).';

COMMENT ON COLUMN halo.actions.halo_updated_at IS 'Halo''s last-modified time of the action (last_updated) when Halo sends it, else the action''s datetime (UTC).';
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['clients', 'sites', 'users', 'agents', 'tickets', 'actions', 'assets', 'contracts',
                             'statuses', 'ticket_types', 'teams', 'priorities'] LOOP
        EXECUTE format('COMMENT ON COLUMN halo.%I.synced_at IS %L', t,
            'When halosync last inserted or changed this row, or tombstoned it in a pull: the start time of that transaction (a thousand rows share it). '
            || 'Not bumped when a re-read record was unchanged, nor by a local DELETE (that sets deleted_at only). '
            || 'Good for "changed in the last hour"; to follow changes without gaps use change_xid.');
    END LOOP;
END
$$;
-- +goose StatementEnd

-- ---------------------------------------------------------------------------------------------------------
-- Priorities: one live row per (slaid, priorityid), so the ticket join returns at most one row per ticket.
CREATE UNIQUE INDEX priorities_slaid_priorityid_key ON halo.priorities (slaid, priorityid) WHERE deleted_at IS NULL;
-- Halo lists the current policies only: a record arriving for an (slaid, priorityid) that another live row
-- holds (the policy was re-created under a new GUID) replaces it. Without this the key would fail the whole
-- priorities pull, and the old row would never be reconciled away.
-- +goose StatementBegin
CREATE FUNCTION halosync.priorities_replace() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.deleted_at IS NULL AND NEW.slaid IS NOT NULL AND NEW.priorityid IS NOT NULL THEN
        UPDATE halo.priorities SET deleted_at = now(), synced_at = now()
        WHERE slaid = NEW.slaid AND priorityid = NEW.priorityid AND id <> NEW.id AND deleted_at IS NULL;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.priorities_replace() IS 'BEFORE INSERT/UPDATE trigger on halo.priorities: tombstones another live row with the same (slaid, priorityid), so a policy Halo re-created under a new id replaces the old one instead of breaking the unique key.';
CREATE TRIGGER halosync_priorities_replace BEFORE INSERT OR UPDATE ON halo.priorities
    FOR EACH ROW EXECUTE FUNCTION halosync.priorities_replace();

-- ---------------------------------------------------------------------------------------------------------
-- Report columns, named as Halo names the fields (all in Halo's published schema: Actions, Policy, Device_List).
ALTER TABLE halo.actions
    ADD COLUMN old_status bigint,
    ADD COLUMN who_type bigint,
    ADD COLUMN actisbillable boolean,
    ADD COLUMN actionchargehours numeric,
    ADD COLUMN actionnonchargehours numeric,
    ADD COLUMN nonbilltime numeric;
COMMENT ON COLUMN halo.actions.old_status IS 'Status of the ticket before this action (halo.statuses.id); NULL when Halo sent none. A status change is new_status IS DISTINCT FROM old_status.';
COMMENT ON COLUMN halo.actions.who_type IS 'Who performed the action, as Halo codes it: 0 = the system (rules and automations such as "Rule Applied", who = "System"); agent actions also carry who_agentid. NULL when Halo sent none.';
COMMENT ON COLUMN halo.actions.actisbillable IS 'Halo''s billable flag of the action (false = non-billable). Halo sets it on system actions too. NULL when Halo sent none.';
COMMENT ON COLUMN halo.actions.actionchargehours IS 'Chargeable hours of the action as Halo computed them; NULL when Halo sent none.';
COMMENT ON COLUMN halo.actions.actionnonchargehours IS 'Non-chargeable hours of the action as Halo computed them; NULL when Halo sent none.';
COMMENT ON COLUMN halo.actions.nonbilltime IS 'Non-billable time logged on the action, in hours; NULL when Halo sent none.';

ALTER TABLE halo.priorities
    ADD COLUMN fixtime numeric,
    ADD COLUMN fixunits text,
    ADD COLUMN responsetime numeric,
    ADD COLUMN responseunits text;
COMMENT ON COLUMN halo.priorities.fixtime IS 'SLA fix (resolution) target of this priority, in fixunits; NULL when Halo sent none.';
COMMENT ON COLUMN halo.priorities.fixunits IS 'Unit of fixtime as Halo sends it; NULL when Halo sent none.';
COMMENT ON COLUMN halo.priorities.responsetime IS 'SLA first-response target of this priority, in responseunits; NULL when Halo sent none.';
COMMENT ON COLUMN halo.priorities.responseunits IS 'Unit of responsetime as Halo sends it; NULL when Halo sent none.';

ALTER TABLE halo.assets ADD COLUMN status_name text;
COMMENT ON COLUMN halo.assets.status_name IS 'Asset status name (e.g. "Active"); NULL when Halo sent none. See halo.asset_statuses.';
COMMENT ON COLUMN halo.assets.assettype_id IS 'Asset type id (see halo.asset_types); NULL when none.';
COMMENT ON COLUMN halo.assets.status_id IS 'Asset status id (see halo.asset_statuses); NULL when none.';

-- Back-fill the new columns from raw exactly as the decoder fills them (so the next pull finds the rows
-- unchanged and rewrites nothing). User triggers are off meanwhile: this is not a change to push, nor a change
-- of Halo data for followers of change_xid.
-- +goose StatementBegin
CREATE FUNCTION pg_temp.jnum(v jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(v)
        WHEN 'number' THEN (v #>> '{}')::numeric
        WHEN 'string' THEN CASE
            WHEN v #>> '{}' = '' THEN 0
            WHEN v #>> '{}' ~ '^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,3})?$' THEN (v #>> '{}')::numeric
        END
    END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION pg_temp.jref(v jsonb) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN n >= 1 AND n < 9e18 AND n = trunc(n) THEN n::bigint END FROM (SELECT pg_temp.jnum(v) AS n) x
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION pg_temp.jint(v jsonb) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN abs(n) < 9e18 AND n = trunc(n) THEN n::bigint END FROM (SELECT pg_temp.jnum(v) AS n) x
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION pg_temp.jbool(v jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) IN ('boolean', 'number', 'string') THEN
        CASE lower(v #>> '{}') WHEN 'true' THEN true WHEN '1' THEN true WHEN 'yes' THEN true
            WHEN 'false' THEN false WHEN '0' THEN false WHEN '' THEN false WHEN 'no' THEN false END
    END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION pg_temp.jtext(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) IN ('string', 'number', 'boolean') THEN nullif(v #>> '{}', '') END
$$;
-- +goose StatementEnd

ALTER TABLE halo.actions DISABLE TRIGGER USER;
UPDATE halo.actions SET
    old_status = pg_temp.jref(raw->'old_status'),
    who_type = pg_temp.jint(raw->'who_type'),
    actisbillable = pg_temp.jbool(raw->'actisbillable'),
    actionchargehours = pg_temp.jnum(raw->'actionchargehours'),
    actionnonchargehours = pg_temp.jnum(raw->'actionnonchargehours'),
    nonbilltime = pg_temp.jnum(raw->'nonbilltime')
WHERE raw ?| ARRAY['old_status', 'who_type', 'actisbillable', 'actionchargehours', 'actionnonchargehours', 'nonbilltime'];
ALTER TABLE halo.actions ENABLE TRIGGER USER;

UPDATE halo.priorities SET
    fixtime = pg_temp.jnum(raw->'fixtime'),
    fixunits = pg_temp.jtext(raw->'fixunits'),
    responsetime = pg_temp.jnum(raw->'responsetime'),
    responseunits = pg_temp.jtext(raw->'responseunits')
WHERE raw ?| ARRAY['fixtime', 'fixunits', 'responsetime', 'responseunits'];

ALTER TABLE halo.assets DISABLE TRIGGER USER;
UPDATE halo.assets SET status_name = pg_temp.jtext(raw->'status_name') WHERE raw ? 'status_name';
ALTER TABLE halo.assets ENABLE TRIGGER USER;

DROP FUNCTION pg_temp.jtext(jsonb);
DROP FUNCTION pg_temp.jbool(jsonb);
DROP FUNCTION pg_temp.jint(jsonb);
DROP FUNCTION pg_temp.jref(jsonb);
DROP FUNCTION pg_temp.jnum(jsonb);

-- ---------------------------------------------------------------------------------------------------------
-- Change tracking. synced_at is the writing transaction's start time, shared by a thousand rows and earlier
-- than the commit, so "synced_at > my last read" misses rows committed while the last read ran. change_xid is
-- the id of the transaction that last wrote the row (set by a trigger in that same transaction, whoever
-- writes: pulls, webhooks, pushes, local edits, tombstones). The rule that never misses a row:
--   each read also returns pg_snapshot_xmin(pg_current_snapshot()) (same statement, or a REPEATABLE READ
--   transaction); the next read takes WHERE change_xid >= that value.
-- Every transaction not yet visible to a read has an id at or above its snapshot's xmin, so whatever commits
-- later is caught; rows seen before may come again (an overlap), never a gap.
-- +goose StatementBegin
CREATE FUNCTION halosync.stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_xid := pg_current_xact_id();
    RETURN NEW;
END
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.stamp_change() IS 'BEFORE INSERT/UPDATE trigger on every halo mirror table: sets change_xid to the writing transaction''s id (see the change_xid column comments).';

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['clients', 'sites', 'users', 'agents', 'tickets', 'actions', 'assets', 'contracts',
                             'statuses', 'ticket_types', 'teams', 'priorities'] LOOP
        EXECUTE format('ALTER TABLE halo.%I ADD COLUMN change_xid xid8', t);
        EXECUTE format('COMMENT ON COLUMN halo.%I.change_xid IS %L', t,
            'Id of the transaction that last inserted, changed or tombstoned this row (pg_current_xact_id(); NULL if not written since halosync''s migration 00011). '
            || 'To follow changes without missing any: with each read also take pg_snapshot_xmin(pg_current_snapshot()) in the same statement, '
            || 'and next time read WHERE change_xid >= that value (rows may repeat, none is missed). Indexed.');
        EXECUTE format('CREATE INDEX %I ON halo.%I (change_xid)', t || '_change_xid_idx', t);
        -- Named to fire after every other BEFORE trigger (they fire in name order): the push guard compares
        -- a local edit's columns with the old row and must not see the stamp as a change of the user's.
        EXECUTE format('CREATE TRIGGER zz_halosync_stamp_change BEFORE INSERT OR UPDATE ON halo.%I FOR EACH ROW EXECUTE FUNCTION halosync.stamp_change()', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- ---------------------------------------------------------------------------------------------------------
-- Indexes for the common report filters (measured numbers in README "Reports and speed").
-- Open tickets by client and status: the partial index holds only live open tickets.
CREATE INDEX tickets_open_client_status_idx ON halo.tickets (client_id, status_id) WHERE deleted_at IS NULL AND dateclosed IS NULL;
-- Closed in a period (SLA met last month, time to close).
CREATE INDEX tickets_dateclosed_idx ON halo.tickets (dateclosed);
-- What changed lately, and what was deleted: deleted_at rides along so "changed vs deleted since" counts are
-- index-only scans once the table is vacuumed; deleted rows are few, hence the partial indexes.
CREATE INDEX tickets_synced_at_idx ON halo.tickets (synced_at) INCLUDE (deleted_at);
CREATE INDEX actions_synced_at_idx ON halo.actions (synced_at) INCLUDE (deleted_at);
CREATE INDEX users_synced_at_idx ON halo.users (synced_at) INCLUDE (deleted_at);
CREATE INDEX tickets_deleted_at_idx ON halo.tickets (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX actions_deleted_at_idx ON halo.actions (deleted_at) WHERE deleted_at IS NOT NULL;
-- Contracts ending soon.
CREATE INDEX contracts_end_date_idx ON halo.contracts (end_date);

-- ---------------------------------------------------------------------------------------------------------
-- Report views. Each joins lookups only on unique keys (primary keys, or priorities' live (slaid, priorityid)),
-- so a view never has more rows than the tickets or actions it reports on (migrations_test checks that).
CREATE VIEW halo.open_tickets AS
SELECT t.id,
       t.summary,
       t.client_id,
       coalesce(c.name, t.client_name) AS client_name,
       t.site_id,
       coalesce(s.name, t.site_name) AS site_name,
       t.user_id,
       coalesce(u.name, t.user_name) AS user_name,
       t.status_id,
       st.name AS status_name,
       t.tickettype_id,
       tt.name AS tickettype_name,
       t.team_id,
       coalesce(tm.name, t.team) AS team_name,
       CASE WHEN t.agent_id > 1 THEN t.agent_id END AS agent_id,
       ag.name AS agent_name,
       t.sla_id,
       t.priority_id,
       p.name AS priority_name,
       t.dateoccurred,
       now() - t.dateoccurred AS age,
       t.respondbydate,
       t.fixbydate,
       t.fixbydate < now() AS fix_overdue,
       t.onhold,
       t.lastactiondate
FROM halo.tickets t
LEFT JOIN halo.clients c ON c.id = t.client_id
LEFT JOIN halo.sites s ON s.id = t.site_id
LEFT JOIN halo.users u ON u.id = t.user_id
LEFT JOIN halo.statuses st ON st.id = t.status_id
LEFT JOIN halo.ticket_types tt ON tt.id = t.tickettype_id
LEFT JOIN halo.teams tm ON tm.id = t.team_id
LEFT JOIN halo.agents ag ON ag.id = t.agent_id AND t.agent_id > 1
LEFT JOIN halo.priorities p ON p.slaid = t.sla_id AND p.priorityid = t.priority_id AND p.deleted_at IS NULL
WHERE t.deleted_at IS NULL AND t.dateclosed IS NULL;
COMMENT ON VIEW halo.open_tickets IS 'Live open tickets (deleted_at IS NULL AND dateclosed IS NULL), one row per ticket, with client, site, user, status, type, team, agent and priority names resolved, age and whether the fix-by time has passed.';
COMMENT ON COLUMN halo.open_tickets.id IS 'Ticket id (halo.tickets.id).';
COMMENT ON COLUMN halo.open_tickets.summary IS 'Ticket subject line.';
COMMENT ON COLUMN halo.open_tickets.client_id IS 'Client (halo.clients.id).';
COMMENT ON COLUMN halo.open_tickets.client_name IS 'Client name (current name from halo.clients, else the name on the ticket).';
COMMENT ON COLUMN halo.open_tickets.site_id IS 'Site (halo.sites.id).';
COMMENT ON COLUMN halo.open_tickets.site_name IS 'Site name (current, else as on the ticket).';
COMMENT ON COLUMN halo.open_tickets.user_id IS 'End user who raised the ticket (halo.users.id).';
COMMENT ON COLUMN halo.open_tickets.user_name IS 'End user name (current, else as on the ticket).';
COMMENT ON COLUMN halo.open_tickets.status_id IS 'Status (halo.statuses.id).';
COMMENT ON COLUMN halo.open_tickets.status_name IS 'Status name.';
COMMENT ON COLUMN halo.open_tickets.tickettype_id IS 'Ticket type (halo.ticket_types.id).';
COMMENT ON COLUMN halo.open_tickets.tickettype_name IS 'Ticket type name.';
COMMENT ON COLUMN halo.open_tickets.team_id IS 'Team id when Halo sent one (halo.teams.id).';
COMMENT ON COLUMN halo.open_tickets.team_name IS 'Team name (from halo.teams by team_id, else the name on the ticket).';
COMMENT ON COLUMN halo.open_tickets.agent_id IS 'Assigned agent (halo.agents.id); NULL when unassigned (Halo''s "Unassigned" agent 1).';
COMMENT ON COLUMN halo.open_tickets.agent_name IS 'Assigned agent name; NULL when unassigned.';
COMMENT ON COLUMN halo.open_tickets.sla_id IS 'SLA of the ticket.';
COMMENT ON COLUMN halo.open_tickets.priority_id IS 'Priority number within the SLA.';
COMMENT ON COLUMN halo.open_tickets.priority_name IS 'Priority name, from halo.priorities by (slaid, priorityid).';
COMMENT ON COLUMN halo.open_tickets.dateoccurred IS 'When the ticket was opened (UTC).';
COMMENT ON COLUMN halo.open_tickets.age IS 'now() - dateoccurred.';
COMMENT ON COLUMN halo.open_tickets.respondbydate IS 'First-response deadline (UTC).';
COMMENT ON COLUMN halo.open_tickets.fixbydate IS 'Resolution deadline (UTC).';
COMMENT ON COLUMN halo.open_tickets.fix_overdue IS 'True when the fix-by time has passed; NULL when the ticket has no fix-by time.';
COMMENT ON COLUMN halo.open_tickets.onhold IS 'True while on hold (SLA clock paused).';
COMMENT ON COLUMN halo.open_tickets.lastactiondate IS 'When the last action was added (UTC).';

CREATE VIEW halo.ticket_first_response AS
SELECT t.id AS ticket_id,
       t.client_id,
       t.tickettype_id,
       t.sla_id,
       t.priority_id,
       CASE WHEN t.agent_id > 1 THEN t.agent_id END AS agent_id,
       t.dateoccurred,
       t.respondbydate,
       fr.id AS action_id,
       fr.datetime AS responded_at,
       fr.who_agentid AS responder_agent_id,
       fr.who AS responder,
       fr.datetime - t.dateoccurred AS response_time,
       CASE WHEN t.respondbydate IS NULL THEN NULL
            WHEN fr.datetime IS NOT NULL THEN fr.datetime <= t.respondbydate
            WHEN now() > t.respondbydate THEN false
       END AS responded_in_time
FROM halo.tickets t
LEFT JOIN LATERAL (
    SELECT a.id, a.datetime, a.who_agentid, a.who
    FROM halo.actions a
    WHERE a.ticket_id = t.id AND a.deleted_at IS NULL AND a.id > 1
      AND a.who_agentid > 1 AND a.who_type IS DISTINCT FROM 0 AND a.datetime >= t.dateoccurred
    ORDER BY a.datetime, a.id
    LIMIT 1
) fr ON true
WHERE t.deleted_at IS NULL;
COMMENT ON VIEW halo.ticket_first_response IS 'One row per live ticket: its first agent action after it opened (the action that logged the ticket, id 1, and system actions do not count), and whether that came by the respond-by time. Filter on dateoccurred for a period.';
COMMENT ON COLUMN halo.ticket_first_response.ticket_id IS 'Ticket id (halo.tickets.id).';
COMMENT ON COLUMN halo.ticket_first_response.client_id IS 'Client of the ticket (halo.clients.id).';
COMMENT ON COLUMN halo.ticket_first_response.tickettype_id IS 'Ticket type (halo.ticket_types.id).';
COMMENT ON COLUMN halo.ticket_first_response.sla_id IS 'SLA of the ticket.';
COMMENT ON COLUMN halo.ticket_first_response.priority_id IS 'Priority number within the SLA (join halo.priorities on (slaid, priorityid)).';
COMMENT ON COLUMN halo.ticket_first_response.agent_id IS 'Assigned agent now; NULL when unassigned.';
COMMENT ON COLUMN halo.ticket_first_response.dateoccurred IS 'When the ticket was opened (UTC).';
COMMENT ON COLUMN halo.ticket_first_response.respondbydate IS 'First-response deadline (UTC); NULL when none.';
COMMENT ON COLUMN halo.ticket_first_response.action_id IS 'The first response action (halo.actions id within the ticket); NULL when no agent has acted yet.';
COMMENT ON COLUMN halo.ticket_first_response.responded_at IS 'When the first agent action happened (UTC); NULL when none yet.';
COMMENT ON COLUMN halo.ticket_first_response.responder_agent_id IS 'Agent who responded first (halo.agents.id).';
COMMENT ON COLUMN halo.ticket_first_response.responder IS 'Display name of that agent as on the action.';
COMMENT ON COLUMN halo.ticket_first_response.response_time IS 'responded_at - dateoccurred; NULL when no response yet.';
COMMENT ON COLUMN halo.ticket_first_response.responded_in_time IS 'True when the first response came by respondbydate; false when it came later or none came and the deadline passed; NULL when there is no deadline or it is still ahead with no response.';

CREATE VIEW halo.time_entries AS
SELECT a.ticket_id,
       a.id AS action_id,
       a.datetime,
       a.who_agentid AS agent_id,
       coalesce(ag.name, a.who) AS agent_name,
       t.client_id,
       coalesce(c.name, t.client_name) AS client_name,
       a.outcome,
       a.timetaken AS hours,
       a.actisbillable AS billable,
       CASE WHEN a.actisbillable THEN a.timetaken ELSE 0 END AS billable_hours,
       a.actionchargehours AS charge_hours,
       a.actionnonchargehours AS noncharge_hours,
       a.nonbilltime AS nonbillable_hours
FROM halo.actions a
JOIN halo.tickets t ON t.id = a.ticket_id
LEFT JOIN halo.agents ag ON ag.id = a.who_agentid
LEFT JOIN halo.clients c ON c.id = t.client_id
WHERE a.deleted_at IS NULL AND t.deleted_at IS NULL AND a.timetaken > 0
  AND a.who_agentid > 1 AND a.who_type IS DISTINCT FROM 0;
COMMENT ON VIEW halo.time_entries IS 'Time logged on ticket actions by agents, one row per action with time: system actions ("Rule Applied" and other automations carry timetaken too) and actions without an agent are left out. Billable as Halo flags it (actisbillable). Filter on datetime for a period.';
COMMENT ON COLUMN halo.time_entries.ticket_id IS 'Ticket (halo.tickets.id).';
COMMENT ON COLUMN halo.time_entries.action_id IS 'Action id within the ticket (halo.actions.id).';
COMMENT ON COLUMN halo.time_entries.datetime IS 'When the action happened (UTC).';
COMMENT ON COLUMN halo.time_entries.agent_id IS 'Agent who logged the time (halo.agents.id, from who_agentid).';
COMMENT ON COLUMN halo.time_entries.agent_name IS 'Agent name (from halo.agents, else as on the action).';
COMMENT ON COLUMN halo.time_entries.client_id IS 'Client of the ticket (halo.clients.id).';
COMMENT ON COLUMN halo.time_entries.client_name IS 'Client name (current, else as on the ticket).';
COMMENT ON COLUMN halo.time_entries.outcome IS 'Action type name.';
COMMENT ON COLUMN halo.time_entries.hours IS 'Time logged, in hours (halo.actions.timetaken).';
COMMENT ON COLUMN halo.time_entries.billable IS 'Halo''s billable flag (actisbillable); NULL when Halo sent none.';
COMMENT ON COLUMN halo.time_entries.billable_hours IS 'hours when Halo flags the action billable, else 0.';
COMMENT ON COLUMN halo.time_entries.charge_hours IS 'Chargeable hours as Halo computed them (actionchargehours).';
COMMENT ON COLUMN halo.time_entries.noncharge_hours IS 'Non-chargeable hours as Halo computed them (actionnonchargehours).';
COMMENT ON COLUMN halo.time_entries.nonbillable_hours IS 'Non-billable time (nonbilltime).';

-- Lookups Halo sends only inside other records.
CREATE VIEW halo.agent_teams AS
SELECT a.id AS agent_id,
       a.name AS agent_name,
       CASE WHEN jsonb_typeof(m->'team_id') = 'number' AND (m->>'team_id') ~ '^[0-9]+(\.0*)?$'
            THEN (m->>'team_id')::numeric::bigint END AS team_id,
       coalesce(tm.name, nullif(m->>'team_name', '')) AS team_name
FROM halo.agents a
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(a.raw->'teams') = 'array' THEN a.raw->'teams' ELSE '[]' END) AS m
LEFT JOIN halo.teams tm ON tm.id = CASE WHEN jsonb_typeof(m->'team_id') = 'number' AND (m->>'team_id') ~ '^[0-9]+(\.0*)?$'
                                       THEN (m->>'team_id')::numeric::bigint END
WHERE a.deleted_at IS NULL AND jsonb_typeof(m) = 'object'
UNION ALL
SELECT a.id, a.name, NULL, a.team
FROM halo.agents a
WHERE a.deleted_at IS NULL AND a.team IS NOT NULL AND jsonb_typeof(a.raw->'teams') IS DISTINCT FROM 'array';
COMMENT ON VIEW halo.agent_teams IS 'Each live agent''s teams, one row per (agent, team), from the teams array Halo sends on agents; for an agent without that array, its primary team (halo.agents.team) by name only.';
COMMENT ON COLUMN halo.agent_teams.agent_id IS 'Agent (halo.agents.id).';
COMMENT ON COLUMN halo.agent_teams.agent_name IS 'Agent name.';
COMMENT ON COLUMN halo.agent_teams.team_id IS 'Team (halo.teams.id); NULL when only the name is known.';
COMMENT ON COLUMN halo.agent_teams.team_name IS 'Team name (from halo.teams when known, else as Halo sent it).';

CREATE VIEW halo.asset_types AS
SELECT assettype_id AS id,
       (array_agg(assettype_name ORDER BY halo_updated_at DESC NULLS LAST) FILTER (WHERE assettype_name IS NOT NULL))[1] AS name,
       count(*) AS live_assets
FROM halo.assets
WHERE deleted_at IS NULL AND assettype_id IS NOT NULL
GROUP BY assettype_id;
COMMENT ON VIEW halo.asset_types IS 'Asset types in use, one row per assettype_id of live assets, with the name Halo sends on the assets (the latest one) and how many live assets have it.';
COMMENT ON COLUMN halo.asset_types.id IS 'Asset type id (halo.assets.assettype_id).';
COMMENT ON COLUMN halo.asset_types.name IS 'Asset type name, as on the most recently updated asset of the type.';
COMMENT ON COLUMN halo.asset_types.live_assets IS 'Live assets of this type.';

CREATE VIEW halo.asset_statuses AS
SELECT status_id AS id,
       (array_agg(status_name ORDER BY halo_updated_at DESC NULLS LAST) FILTER (WHERE status_name IS NOT NULL))[1] AS name,
       count(*) AS live_assets
FROM halo.assets
WHERE deleted_at IS NULL AND status_id IS NOT NULL
GROUP BY status_id;
COMMENT ON VIEW halo.asset_statuses IS 'Asset statuses in use, one row per status_id of live assets, with the name Halo sends on the assets (the latest one) and how many live assets have it.';
COMMENT ON COLUMN halo.asset_statuses.id IS 'Asset status id (halo.assets.status_id).';
COMMENT ON COLUMN halo.asset_statuses.name IS 'Status name, as on the most recently updated asset with the status; NULL when Halo sent none.';
COMMENT ON COLUMN halo.asset_statuses.live_assets IS 'Live assets with this status.';

-- What changed, across every mirror table (filter on synced_at or change_xid; both are indexed where it counts).
CREATE VIEW halo.changes AS
          SELECT 'clients'::text AS entity, id::text AS record_key, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.clients
UNION ALL SELECT 'sites', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.sites
UNION ALL SELECT 'users', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.users
UNION ALL SELECT 'agents', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.agents
UNION ALL SELECT 'tickets', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.tickets
UNION ALL SELECT 'actions', ticket_id::text || '/' || id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.actions
UNION ALL SELECT 'assets', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.assets
UNION ALL SELECT 'contracts', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.contracts
UNION ALL SELECT 'statuses', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.statuses
UNION ALL SELECT 'ticket_types', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.ticket_types
UNION ALL SELECT 'teams', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.teams
UNION ALL SELECT 'priorities', id, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.priorities;
COMMENT ON VIEW halo.changes IS 'Every mirror row with its change markers, for "what changed since": WHERE synced_at > now() - interval ''1 hour'' (deleted ones have deleted_at set), or WHERE change_xid >= <xmin of your last read> to follow changes without gaps (see the change_xid column comments).';
COMMENT ON COLUMN halo.changes.entity IS 'Mirror table (e.g. tickets).';
COMMENT ON COLUMN halo.changes.record_key IS 'Record key as text: the id, or "ticket_id/id" for actions.';
COMMENT ON COLUMN halo.changes.change_xid IS 'Transaction that last wrote the row (see halo.tickets.change_xid).';
COMMENT ON COLUMN halo.changes.synced_at IS 'When halosync last inserted, changed or tombstoned the row (start of the writing transaction).';
COMMENT ON COLUMN halo.changes.halo_updated_at IS 'Halo''s own last-modified time of the record.';
COMMENT ON COLUMN halo.changes.deleted_at IS 'When the record was found deleted in Halo; NULL = live.';

-- Freshness and rejects, for readers (the halosync schema itself stays closed to them).
CREATE VIEW halo.sync_status AS
SELECT s.entity,
       s.last_success_at,
       s.last_full_at,
       s.last_pull_at,
       s.last_error,
       s.rows AS live_rows,
       (SELECT count(*) FROM halosync.rejects r WHERE r.entity = s.entity) AS rejects
FROM halosync.entity_state s;
COMMENT ON VIEW halo.sync_status IS 'How fresh the mirror is, per entity: last successful pull, last successful full pull with delete reconciliation, last error, and how many records Halo sent that could not be stored (halo.sync_rejects).';
COMMENT ON COLUMN halo.sync_status.entity IS 'Entity, same as the halo table name (e.g. tickets).';
COMMENT ON COLUMN halo.sync_status.last_success_at IS 'When the last successful pull of the entity finished: data changed in Halo before roughly this time (less the sync overlap) is in the mirror.';
COMMENT ON COLUMN halo.sync_status.last_full_at IS 'When the last successful full pull (every record, with delete reconciliation) finished: deletions in Halo before it are reflected.';
COMMENT ON COLUMN halo.sync_status.last_pull_at IS 'When the last pull started (successful or not).';
COMMENT ON COLUMN halo.sync_status.last_error IS 'Error of the last pull; NULL when it succeeded.';
COMMENT ON COLUMN halo.sync_status.live_rows IS 'Live rows in the mirror table after the last successful pull.';
COMMENT ON COLUMN halo.sync_status.rejects IS 'Records of this entity currently in halo.sync_rejects.';

CREATE VIEW halo.sync_rejects AS
SELECT entity, record_key, reason, raw, raw_bytes, first_seen, last_seen, seen_count FROM halosync.rejects;
COMMENT ON VIEW halo.sync_rejects IS 'Records Halo returned that halosync could not decode or store, with the reason (the rest of their entity syncs on). A row leaves when its record later stores fine.';
COMMENT ON COLUMN halo.sync_rejects.entity IS 'Entity of the record (e.g. tickets).';
COMMENT ON COLUMN halo.sync_rejects.record_key IS 'Record key: the id, or "ticket_id/id" for actions; a hash-based key when the id itself was unreadable.';
COMMENT ON COLUMN halo.sync_rejects.reason IS 'Why the record was rejected.';
COMMENT ON COLUMN halo.sync_rejects.raw IS 'The record as received, when storable as jsonb.';
COMMENT ON COLUMN halo.sync_rejects.raw_bytes IS 'The exact bytes received, only when they cannot be stored as jsonb.';
COMMENT ON COLUMN halo.sync_rejects.first_seen IS 'When the record was first rejected.';
COMMENT ON COLUMN halo.sync_rejects.last_seen IS 'When the record was last rejected.';
COMMENT ON COLUMN halo.sync_rejects.seen_count IS 'How many times it has been rejected.';

-- ---------------------------------------------------------------------------------------------------------
-- Local time: sites carry Windows time-zone names, which AT TIME ZONE does not accept. The mapping is
-- CLDR's windowsZones.xml (territory 001, the zone Windows means by each name).
CREATE VIEW halo.windows_timezones (windows_name, iana_name) AS VALUES
    ('Egypt Standard Time', 'Africa/Cairo'),
    ('Morocco Standard Time', 'Africa/Casablanca'),
    ('South Africa Standard Time', 'Africa/Johannesburg'),
    ('South Sudan Standard Time', 'Africa/Juba'),
    ('Sudan Standard Time', 'Africa/Khartoum'),
    ('W. Central Africa Standard Time', 'Africa/Lagos'),
    ('E. Africa Standard Time', 'Africa/Nairobi'),
    ('Sao Tome Standard Time', 'Africa/Sao_Tome'),
    ('Libya Standard Time', 'Africa/Tripoli'),
    ('Namibia Standard Time', 'Africa/Windhoek'),
    ('Aleutian Standard Time', 'America/Adak'),
    ('Alaskan Standard Time', 'America/Anchorage'),
    ('Tocantins Standard Time', 'America/Araguaina'),
    ('Paraguay Standard Time', 'America/Asuncion'),
    ('Bahia Standard Time', 'America/Bahia'),
    ('SA Pacific Standard Time', 'America/Bogota'),
    ('Argentina Standard Time', 'America/Buenos_Aires'),
    ('Eastern Standard Time (Mexico)', 'America/Cancun'),
    ('Venezuela Standard Time', 'America/Caracas'),
    ('SA Eastern Standard Time', 'America/Cayenne'),
    ('Central Standard Time', 'America/Chicago'),
    ('Central Brazilian Standard Time', 'America/Cuiaba'),
    ('Mountain Standard Time', 'America/Denver'),
    ('Greenland Standard Time', 'America/Godthab'),
    ('Turks And Caicos Standard Time', 'America/Grand_Turk'),
    ('Central America Standard Time', 'America/Guatemala'),
    ('Atlantic Standard Time', 'America/Halifax'),
    ('Cuba Standard Time', 'America/Havana'),
    ('US Eastern Standard Time', 'America/Indianapolis'),
    ('SA Western Standard Time', 'America/La_Paz'),
    ('Pacific Standard Time', 'America/Los_Angeles'),
    ('Mountain Standard Time (Mexico)', 'America/Mazatlan'),
    ('Central Standard Time (Mexico)', 'America/Mexico_City'),
    ('Saint Pierre Standard Time', 'America/Miquelon'),
    ('Montevideo Standard Time', 'America/Montevideo'),
    ('Eastern Standard Time', 'America/New_York'),
    ('US Mountain Standard Time', 'America/Phoenix'),
    ('Haiti Standard Time', 'America/Port-au-Prince'),
    ('Magallanes Standard Time', 'America/Punta_Arenas'),
    ('Canada Central Standard Time', 'America/Regina'),
    ('Pacific SA Standard Time', 'America/Santiago'),
    ('E. South America Standard Time', 'America/Sao_Paulo'),
    ('Newfoundland Standard Time', 'America/St_Johns'),
    ('Pacific Standard Time (Mexico)', 'America/Tijuana'),
    ('Yukon Standard Time', 'America/Whitehorse'),
    ('Jordan Standard Time', 'Asia/Amman'),
    ('Arabic Standard Time', 'Asia/Baghdad'),
    ('Azerbaijan Standard Time', 'Asia/Baku'),
    ('SE Asia Standard Time', 'Asia/Bangkok'),
    ('Altai Standard Time', 'Asia/Barnaul'),
    ('Middle East Standard Time', 'Asia/Beirut'),
    ('Central Asia Standard Time', 'Asia/Bishkek'),
    ('India Standard Time', 'Asia/Calcutta'),
    ('Transbaikal Standard Time', 'Asia/Chita'),
    ('Sri Lanka Standard Time', 'Asia/Colombo'),
    ('Syria Standard Time', 'Asia/Damascus'),
    ('Bangladesh Standard Time', 'Asia/Dhaka'),
    ('Arabian Standard Time', 'Asia/Dubai'),
    ('West Bank Standard Time', 'Asia/Hebron'),
    ('W. Mongolia Standard Time', 'Asia/Hovd'),
    ('North Asia East Standard Time', 'Asia/Irkutsk'),
    ('Israel Standard Time', 'Asia/Jerusalem'),
    ('Afghanistan Standard Time', 'Asia/Kabul'),
    ('Russia Time Zone 11', 'Asia/Kamchatka'),
    ('Pakistan Standard Time', 'Asia/Karachi'),
    ('Nepal Standard Time', 'Asia/Katmandu'),
    ('North Asia Standard Time', 'Asia/Krasnoyarsk'),
    ('Magadan Standard Time', 'Asia/Magadan'),
    ('N. Central Asia Standard Time', 'Asia/Novosibirsk'),
    ('Omsk Standard Time', 'Asia/Omsk'),
    ('North Korea Standard Time', 'Asia/Pyongyang'),
    ('Qyzylorda Standard Time', 'Asia/Qyzylorda'),
    ('Myanmar Standard Time', 'Asia/Rangoon'),
    ('Arab Standard Time', 'Asia/Riyadh'),
    ('Sakhalin Standard Time', 'Asia/Sakhalin'),
    ('Korea Standard Time', 'Asia/Seoul'),
    ('China Standard Time', 'Asia/Shanghai'),
    ('Singapore Standard Time', 'Asia/Singapore'),
    ('Russia Time Zone 10', 'Asia/Srednekolymsk'),
    ('Taipei Standard Time', 'Asia/Taipei'),
    ('West Asia Standard Time', 'Asia/Tashkent'),
    ('Georgian Standard Time', 'Asia/Tbilisi'),
    ('Iran Standard Time', 'Asia/Tehran'),
    ('Tokyo Standard Time', 'Asia/Tokyo'),
    ('Tomsk Standard Time', 'Asia/Tomsk'),
    ('Ulaanbaatar Standard Time', 'Asia/Ulaanbaatar'),
    ('Vladivostok Standard Time', 'Asia/Vladivostok'),
    ('Yakutsk Standard Time', 'Asia/Yakutsk'),
    ('Ekaterinburg Standard Time', 'Asia/Yekaterinburg'),
    ('Caucasus Standard Time', 'Asia/Yerevan'),
    ('Azores Standard Time', 'Atlantic/Azores'),
    ('Cape Verde Standard Time', 'Atlantic/Cape_Verde'),
    ('Greenwich Standard Time', 'Atlantic/Reykjavik'),
    ('Cen. Australia Standard Time', 'Australia/Adelaide'),
    ('E. Australia Standard Time', 'Australia/Brisbane'),
    ('AUS Central Standard Time', 'Australia/Darwin'),
    ('Aus Central W. Standard Time', 'Australia/Eucla'),
    ('Tasmania Standard Time', 'Australia/Hobart'),
    ('Lord Howe Standard Time', 'Australia/Lord_Howe'),
    ('W. Australia Standard Time', 'Australia/Perth'),
    ('AUS Eastern Standard Time', 'Australia/Sydney'),
    ('UTC-11', 'Etc/GMT+11'),
    ('Dateline Standard Time', 'Etc/GMT+12'),
    ('UTC-02', 'Etc/GMT+2'),
    ('UTC-08', 'Etc/GMT+8'),
    ('UTC-09', 'Etc/GMT+9'),
    ('UTC+12', 'Etc/GMT-12'),
    ('UTC+13', 'Etc/GMT-13'),
    ('UTC', 'Etc/UTC'),
    ('Astrakhan Standard Time', 'Europe/Astrakhan'),
    ('W. Europe Standard Time', 'Europe/Berlin'),
    ('GTB Standard Time', 'Europe/Bucharest'),
    ('Central Europe Standard Time', 'Europe/Budapest'),
    ('E. Europe Standard Time', 'Europe/Chisinau'),
    ('Turkey Standard Time', 'Europe/Istanbul'),
    ('Kaliningrad Standard Time', 'Europe/Kaliningrad'),
    ('FLE Standard Time', 'Europe/Kiev'),
    ('GMT Standard Time', 'Europe/London'),
    ('Belarus Standard Time', 'Europe/Minsk'),
    ('Russian Standard Time', 'Europe/Moscow'),
    ('Romance Standard Time', 'Europe/Paris'),
    ('Russia Time Zone 3', 'Europe/Samara'),
    ('Saratov Standard Time', 'Europe/Saratov'),
    ('Volgograd Standard Time', 'Europe/Volgograd'),
    ('Central European Standard Time', 'Europe/Warsaw'),
    ('Mauritius Standard Time', 'Indian/Mauritius'),
    ('Samoa Standard Time', 'Pacific/Apia'),
    ('New Zealand Standard Time', 'Pacific/Auckland'),
    ('Bougainville Standard Time', 'Pacific/Bougainville'),
    ('Chatham Islands Standard Time', 'Pacific/Chatham'),
    ('Easter Island Standard Time', 'Pacific/Easter'),
    ('Fiji Standard Time', 'Pacific/Fiji'),
    ('Central Pacific Standard Time', 'Pacific/Guadalcanal'),
    ('Hawaiian Standard Time', 'Pacific/Honolulu'),
    ('Line Islands Standard Time', 'Pacific/Kiritimati'),
    ('Marquesas Standard Time', 'Pacific/Marquesas'),
    ('Norfolk Standard Time', 'Pacific/Norfolk'),
    ('West Pacific Standard Time', 'Pacific/Port_Moresby'),
    ('Tonga Standard Time', 'Pacific/Tongatapu')
;
COMMENT ON VIEW halo.windows_timezones IS 'Windows time-zone names (as on halo.sites.timezone) and the IANA name AT TIME ZONE accepts, from CLDR windowsZones.xml. Join ON windows_name = s.timezone, or call halo.iana_timezone().';
COMMENT ON COLUMN halo.windows_timezones.windows_name IS 'Windows zone name, e.g. "GMT Standard Time".';
COMMENT ON COLUMN halo.windows_timezones.iana_name IS 'IANA zone name, e.g. "Europe/London".';

-- +goose StatementBegin
CREATE FUNCTION halo.iana_timezone(zone text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(
        (SELECT w.iana_name FROM halo.windows_timezones w WHERE w.windows_name = btrim(zone)),
        (SELECT DISTINCT w.iana_name FROM halo.windows_timezones w WHERE w.iana_name = btrim(zone)))
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halo.iana_timezone(text) IS 'IANA time-zone name for a Windows zone name (halo.sites.timezone), e.g. halo.iana_timezone(''GMT Standard Time'') = ''Europe/London''; an IANA name from the map is returned as is; NULL when unknown or NULL. Use: t.dateoccurred AT TIME ZONE coalesce(halo.iana_timezone(s.timezone), ''UTC'').';

-- ---------------------------------------------------------------------------------------------------------
-- Readers (and the editing role, where it exists) read the views. Default privileges in schema halo cover
-- them already when the same role migrates; the grants say it outright.
GRANT SELECT ON halo.open_tickets, halo.ticket_first_response, halo.time_entries, halo.agent_teams, halo.asset_types,
    halo.asset_statuses, halo.changes, halo.sync_status, halo.sync_rejects, halo.windows_timezones TO halosync_reader;
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'halosync_editor') THEN
        GRANT SELECT ON halo.open_tickets, halo.ticket_first_response, halo.time_entries, halo.agent_teams,
            halo.asset_types, halo.asset_statuses, halo.changes, halo.sync_status, halo.sync_rejects,
            halo.windows_timezones TO halosync_editor;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION halo.iana_timezone(text);
DROP VIEW halo.windows_timezones, halo.sync_rejects, halo.sync_status, halo.changes, halo.asset_statuses,
    halo.asset_types, halo.agent_teams, halo.time_entries, halo.ticket_first_response, halo.open_tickets;
DROP INDEX halo.contracts_end_date_idx, halo.actions_synced_at_idx, halo.tickets_synced_at_idx, halo.users_synced_at_idx,
    halo.tickets_deleted_at_idx, halo.actions_deleted_at_idx,
    halo.tickets_dateclosed_idx, halo.tickets_open_client_status_idx, halo.priorities_slaid_priorityid_key;
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['clients', 'sites', 'users', 'agents', 'tickets', 'actions', 'assets', 'contracts',
                             'statuses', 'ticket_types', 'teams', 'priorities'] LOOP
        EXECUTE format('DROP TRIGGER zz_halosync_stamp_change ON halo.%I', t);
        EXECUTE format('ALTER TABLE halo.%I DROP COLUMN change_xid', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION halosync.stamp_change();
DROP TRIGGER halosync_priorities_replace ON halo.priorities;
DROP FUNCTION halosync.priorities_replace();
ALTER TABLE halo.assets DROP COLUMN status_name;
ALTER TABLE halo.priorities DROP COLUMN fixtime, DROP COLUMN fixunits, DROP COLUMN responsetime, DROP COLUMN responseunits;
ALTER TABLE halo.actions DROP COLUMN old_status, DROP COLUMN who_type, DROP COLUMN actisbillable,
    DROP COLUMN actionchargehours, DROP COLUMN actionnonchargehours, DROP COLUMN nonbilltime;
