-- Mirror of HaloPSA (schema halo, for analysts) and sync state (schema halosync, for operators).
--
-- Conventions for every halo.* table:
--   * typed columns are named exactly as Halo names the JSON field;
--   * raw holds the record exactly as last received; typed columns are a convenience copy;
--   * halo_updated_at is Halo's own modification time, synced_at our last write, deleted_at our tombstone.
-- Every table and column carries a COMMENT (a test enforces it); later migrations must keep that up.

-- +goose Up

-- Schema halosync is created by migrations.Up before goose runs (goose keeps its version table there);
-- IF NOT EXISTS keeps this file runnable by plain goose too.
CREATE SCHEMA IF NOT EXISTS halosync;
COMMENT ON SCHEMA halosync IS 'halosync sync state for operators: cursors per entity, run ledger, rejected records. Not part of the mirror.';
CREATE SCHEMA halo;
COMMENT ON SCHEMA halo IS 'Read-only mirror of HaloPSA, maintained by halosync. One table per Halo entity; raw holds each record as last received.';

-- ---------------------------------------------------------------------------------------------------------
-- halo.clients
CREATE TABLE halo.clients (
    id              bigint PRIMARY KEY,
    name            text,
    toplevel_id     bigint,
    toplevel_name   text,
    inactive        boolean,
    main_site_id    bigint,
    is_vip          boolean,
    datecreated     timestamptz,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
COMMENT ON TABLE halo.clients IS 'Halo customers (GET /api/Client, Area schema). One row per client id ever seen; rows deleted in Halo keep their last state with deleted_at set.';
COMMENT ON COLUMN halo.clients.id IS 'Halo client id (primary key).';
COMMENT ON COLUMN halo.clients.name IS 'Client name as shown in Halo.';
COMMENT ON COLUMN halo.clients.toplevel_id IS 'Id of the top level (Halo''s grouping above clients).';
COMMENT ON COLUMN halo.clients.toplevel_name IS 'Name of the top level.';
COMMENT ON COLUMN halo.clients.inactive IS 'True when the client is marked inactive in Halo (still a live row here; not a deletion).';
COMMENT ON COLUMN halo.clients.main_site_id IS 'Id of the client''s main site (halo.sites.id).';
COMMENT ON COLUMN halo.clients.is_vip IS 'True when Halo flags the client as VIP.';
COMMENT ON COLUMN halo.clients.datecreated IS 'When the client was created in Halo (UTC; NULL when Halo sent nothing or a 1900 sentinel).';

-- halo.sites
CREATE TABLE halo.sites (
    id              bigint PRIMARY KEY,
    name            text,
    client_id       bigint,
    client_name     text,
    clientsite_name text,
    inactive        boolean,
    timezone        text,
    sla_id          bigint,
    datecreated     timestamptz,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE INDEX sites_client_id_idx ON halo.sites (client_id);
COMMENT ON TABLE halo.sites IS 'Halo sites, the locations of a client (GET /api/Site).';
COMMENT ON COLUMN halo.sites.id IS 'Halo site id (primary key).';
COMMENT ON COLUMN halo.sites.name IS 'Site name.';
COMMENT ON COLUMN halo.sites.client_id IS 'Owning client (halo.clients.id). Halo sends it as a decimal (12.0); stored as an integer.';
COMMENT ON COLUMN halo.sites.client_name IS 'Owning client''s name at the time of the last sync.';
COMMENT ON COLUMN halo.sites.clientsite_name IS 'Display name "Client/Site".';
COMMENT ON COLUMN halo.sites.inactive IS 'True when the site is marked inactive in Halo (not a deletion).';
COMMENT ON COLUMN halo.sites.timezone IS 'Site time zone as a Windows zone name (e.g. "GMT Standard Time"); empty when unset.';
COMMENT ON COLUMN halo.sites.sla_id IS 'Default SLA id for the site.';
COMMENT ON COLUMN halo.sites.datecreated IS 'When the site was created in Halo (UTC; NULL when unset or a 1900 sentinel).';

-- halo.users
CREATE TABLE halo.users (
    id               bigint PRIMARY KEY,
    name             text,
    firstname        text,
    surname          text,
    emailaddress     text,
    site_id          bigint,
    site_name        text,
    client_id        bigint,
    client_name      text,
    inactive         boolean,
    isserviceaccount boolean,
    linked_agent_id  bigint,
    datecreated      timestamptz,
    raw              jsonb NOT NULL,
    halo_updated_at  timestamptz,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX users_client_id_idx ON halo.users (client_id);
CREATE INDEX users_site_id_idx ON halo.users (site_id);
COMMENT ON TABLE halo.users IS 'Halo end users / contacts of clients (GET /api/Users). Each site also has a "General User".';
COMMENT ON COLUMN halo.users.id IS 'Halo user id (primary key).';
COMMENT ON COLUMN halo.users.name IS 'Full display name.';
COMMENT ON COLUMN halo.users.firstname IS 'First name.';
COMMENT ON COLUMN halo.users.surname IS 'Surname.';
COMMENT ON COLUMN halo.users.emailaddress IS 'Primary email address.';
COMMENT ON COLUMN halo.users.site_id IS 'Site the user belongs to (halo.sites.id). Halo sends it as a decimal; stored as an integer.';
COMMENT ON COLUMN halo.users.site_name IS 'Site name at the time of the last sync.';
COMMENT ON COLUMN halo.users.client_id IS 'Client the user belongs to (halo.clients.id).';
COMMENT ON COLUMN halo.users.client_name IS 'Client name at the time of the last sync.';
COMMENT ON COLUMN halo.users.inactive IS 'True when the user is marked inactive in Halo (not a deletion).';
COMMENT ON COLUMN halo.users.isserviceaccount IS 'True for service accounts (not a person).';
COMMENT ON COLUMN halo.users.linked_agent_id IS 'Agent linked to this user (halo.agents.id); 0 when none.';
COMMENT ON COLUMN halo.users.datecreated IS 'When the user was created in Halo (UTC; NULL when unset or a 1900 sentinel).';

-- halo.agents
CREATE TABLE halo.agents (
    id              bigint PRIMARY KEY,
    name            text,
    email           text,
    firstname       text,
    surname         text,
    initials        text,
    isdisabled      boolean,
    team            text,
    isapiagent      boolean,
    inactive        boolean GENERATED ALWAYS AS (isdisabled) STORED,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
COMMENT ON TABLE halo.agents IS 'Halo agents (technicians, GET /api/Agent). Agent id 1 is Halo''s "Unassigned" placeholder, not a person.';
COMMENT ON COLUMN halo.agents.id IS 'Halo agent id (primary key). Id 1 is the built-in "Unassigned" agent.';
COMMENT ON COLUMN halo.agents.name IS 'Agent display name.';
COMMENT ON COLUMN halo.agents.email IS 'Agent email address.';
COMMENT ON COLUMN halo.agents.firstname IS 'First name.';
COMMENT ON COLUMN halo.agents.surname IS 'Surname.';
COMMENT ON COLUMN halo.agents.initials IS 'Initials shown in Halo.';
COMMENT ON COLUMN halo.agents.isdisabled IS 'True when the agent account is disabled in Halo (Halo''s own flag).';
COMMENT ON COLUMN halo.agents.team IS 'Name of the agent''s primary team (a name, not an id; see halo.teams.name).';
COMMENT ON COLUMN halo.agents.isapiagent IS 'True for API-only agents (integrations such as halosync itself).';
COMMENT ON COLUMN halo.agents.inactive IS 'Same as isdisabled (computed), so every people table has an inactive column.';

-- halo.tickets
CREATE TABLE halo.tickets (
    id               bigint PRIMARY KEY,
    summary          text,
    details          text,
    details_html     text,
    client_id        bigint,
    client_name      text,
    site_id          bigint,
    site_name        text,
    user_id          bigint,
    user_name        text,
    agent_id         bigint,
    team             text,
    team_id          bigint,
    status_id        bigint,
    priority_id      bigint,
    tickettype_id    bigint,
    sla_id           bigint,
    category_1       text,
    thirdpartynumber text,
    contract_id      bigint,
    deleted          boolean,
    hasbeenclosed    boolean,
    onhold           boolean,
    inactive         boolean,
    dateoccurred     timestamptz,
    datecreated      timestamptz,
    dateclosed       timestamptz,
    fixbydate        timestamptz,
    respondbydate    timestamptz,
    targetdate       timestamptz,
    lastactiondate   timestamptz,
    raw              jsonb NOT NULL,
    halo_updated_at  timestamptz,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX tickets_client_id_idx ON halo.tickets (client_id);
CREATE INDEX tickets_status_id_idx ON halo.tickets (status_id);
CREATE INDEX tickets_agent_id_idx ON halo.tickets (agent_id);
CREATE INDEX tickets_halo_updated_at_idx ON halo.tickets (halo_updated_at);
CREATE INDEX tickets_dateoccurred_idx ON halo.tickets (dateoccurred);
COMMENT ON TABLE halo.tickets IS 'Halo tickets (GET /api/Tickets, Faults schema). Use dateoccurred for when a ticket was opened and fixbydate for its deadline. Filter deleted_at IS NULL for live tickets.';
COMMENT ON COLUMN halo.tickets.id IS 'Halo ticket number (primary key).';
COMMENT ON COLUMN halo.tickets.summary IS 'Ticket subject line.';
COMMENT ON COLUMN halo.tickets.details IS 'Ticket description as plain text.';
COMMENT ON COLUMN halo.tickets.details_html IS 'Ticket description as HTML (empty when Halo did not send it).';
COMMENT ON COLUMN halo.tickets.client_id IS 'Client (halo.clients.id).';
COMMENT ON COLUMN halo.tickets.client_name IS 'Client name at the time of the last sync.';
COMMENT ON COLUMN halo.tickets.site_id IS 'Site (halo.sites.id).';
COMMENT ON COLUMN halo.tickets.site_name IS 'Site name at the time of the last sync.';
COMMENT ON COLUMN halo.tickets.user_id IS 'End user who raised the ticket (halo.users.id).';
COMMENT ON COLUMN halo.tickets.user_name IS 'End user name at the time of the last sync.';
COMMENT ON COLUMN halo.tickets.agent_id IS 'Assigned agent (halo.agents.id). 1 means unassigned (Halo''s placeholder agent), not a real person.';
COMMENT ON COLUMN halo.tickets.team IS 'Assigned team by name (Halo writes teams by name).';
COMMENT ON COLUMN halo.tickets.team_id IS 'Assigned team id (halo.teams.id).';
COMMENT ON COLUMN halo.tickets.status_id IS 'Current status (halo.statuses.id).';
COMMENT ON COLUMN halo.tickets.priority_id IS 'Priority number (matches halo.priorities.priorityid, not halo.priorities.id).';
COMMENT ON COLUMN halo.tickets.tickettype_id IS 'Ticket type (halo.ticket_types.id). Halo''s list filter for it is called requesttype_id.';
COMMENT ON COLUMN halo.tickets.sla_id IS 'SLA applied to the ticket.';
COMMENT ON COLUMN halo.tickets.category_1 IS 'First category, as text.';
COMMENT ON COLUMN halo.tickets.thirdpartynumber IS 'External reference; halosync also uses it to correlate tickets it created.';
COMMENT ON COLUMN halo.tickets.contract_id IS 'Contract (halo.contracts.id); -1 or 0 when the ticket has none.';
COMMENT ON COLUMN halo.tickets.deleted IS 'Halo''s own soft-delete flag as last received. deleted_at is the reliable marker (also set when the ticket vanished).';
COMMENT ON COLUMN halo.tickets.hasbeenclosed IS 'True once the ticket has been closed at least once.';
COMMENT ON COLUMN halo.tickets.onhold IS 'True while the ticket is on hold (SLA clock paused).';
COMMENT ON COLUMN halo.tickets.inactive IS 'Halo''s inactive flag (not a deletion).';
COMMENT ON COLUMN halo.tickets.dateoccurred IS 'When the ticket was opened (UTC). Use this rather than datecreated, which Halo often leaves unset.';
COMMENT ON COLUMN halo.tickets.datecreated IS 'Creation time as Halo reports it; frequently never populated (NULL). Prefer dateoccurred.';
COMMENT ON COLUMN halo.tickets.dateclosed IS 'When the ticket was closed (UTC); NULL while open.';
COMMENT ON COLUMN halo.tickets.fixbydate IS 'Resolution deadline shown in the Halo portal (UTC). The deadline to trust; targetdate is usually an unset sentinel.';
COMMENT ON COLUMN halo.tickets.respondbydate IS 'First-response deadline (UTC).';
COMMENT ON COLUMN halo.tickets.targetdate IS 'Target date; on real tenants almost always an unset 1900 sentinel (stored NULL). Use fixbydate for deadlines.';
COMMENT ON COLUMN halo.tickets.lastactiondate IS 'When the last action (note, email, status change) was added (UTC). halosync re-reads a ticket''s actions when it moves.';

-- halo.actions
CREATE TABLE halo.actions (
    ticket_id         bigint NOT NULL,
    id                bigint NOT NULL,
    outcome           text,
    outcome_id        bigint,
    who               text,
    who_agentid       bigint,
    actionby_agent_id bigint,
    note              text,
    note_html         text,
    hiddenfromuser    boolean,
    important         boolean,
    new_status        bigint,
    timetaken         numeric,
    datetime          timestamptz,
    actiondatecreated timestamptz,
    raw               jsonb NOT NULL,
    halo_updated_at   timestamptz,
    synced_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    PRIMARY KEY (ticket_id, id)
);
-- The primary key (ticket_id, id) already serves lookups by ticket_id; no separate index needed.
CREATE INDEX actions_datetime_idx ON halo.actions (datetime);
COMMENT ON TABLE halo.actions IS 'Actions on tickets: notes, emails, status changes (GET /api/Actions). An action id is only unique within its ticket, so the key is (ticket_id, id).';
COMMENT ON COLUMN halo.actions.ticket_id IS 'Ticket the action belongs to (halo.tickets.id). Part of the primary key.';
COMMENT ON COLUMN halo.actions.id IS 'Action sequence number within its ticket (not globally unique). Part of the primary key.';
COMMENT ON COLUMN halo.actions.outcome IS 'Action type name, e.g. "Private Note", "Email Update".';
COMMENT ON COLUMN halo.actions.outcome_id IS 'Action type id.';
COMMENT ON COLUMN halo.actions.who IS 'Display name of whoever performed the action (agent, user or system).';
COMMENT ON COLUMN halo.actions.who_agentid IS 'Agent who performed the action (halo.agents.id); 0 when not an agent.';
COMMENT ON COLUMN halo.actions.actionby_agent_id IS 'Agent the action is attributed to (halo.agents.id).';
COMMENT ON COLUMN halo.actions.note IS 'Action text as plain text.';
COMMENT ON COLUMN halo.actions.note_html IS 'Action text as HTML (empty when Halo did not send it).';
COMMENT ON COLUMN halo.actions.hiddenfromuser IS 'True for private actions the end user cannot see.';
COMMENT ON COLUMN halo.actions.important IS 'True when flagged important.';
COMMENT ON COLUMN halo.actions.new_status IS 'Ticket status set by this action (halo.statuses.id); 0 when the status did not change.';
COMMENT ON COLUMN halo.actions.timetaken IS 'Time logged on the action, in hours (decimal).';
COMMENT ON COLUMN halo.actions.datetime IS 'When the action happened (UTC). Use this to order a ticket''s history.';
COMMENT ON COLUMN halo.actions.actiondatecreated IS 'When the action record was created in Halo (UTC).';

-- halo.assets
CREATE TABLE halo.assets (
    id               bigint PRIMARY KEY,
    inventory_number text,
    key_field        text,
    client_id        bigint,
    client_name      text,
    site_id          bigint,
    site_name        text,
    assettype_id     bigint,
    assettype_name   text,
    status_id        bigint,
    inactive         boolean,
    raw              jsonb NOT NULL,
    halo_updated_at  timestamptz,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX assets_client_id_idx ON halo.assets (client_id);
COMMENT ON TABLE halo.assets IS 'Halo assets / configuration items (GET /api/Asset, Device schema).';
COMMENT ON COLUMN halo.assets.id IS 'Halo asset id (primary key).';
COMMENT ON COLUMN halo.assets.inventory_number IS 'Asset tag.';
COMMENT ON COLUMN halo.assets.key_field IS 'Value of the asset type''s key field (e.g. hostname or serial).';
COMMENT ON COLUMN halo.assets.client_id IS 'Owning client (halo.clients.id).';
COMMENT ON COLUMN halo.assets.client_name IS 'Client name at the time of the last sync.';
COMMENT ON COLUMN halo.assets.site_id IS 'Site (halo.sites.id).';
COMMENT ON COLUMN halo.assets.site_name IS 'Site name at the time of the last sync.';
COMMENT ON COLUMN halo.assets.assettype_id IS 'Asset type id.';
COMMENT ON COLUMN halo.assets.assettype_name IS 'Asset type name.';
COMMENT ON COLUMN halo.assets.status_id IS 'Asset status id.';
COMMENT ON COLUMN halo.assets.inactive IS 'True when the asset is marked inactive in Halo (not a deletion).';

-- halo.contracts
CREATE TABLE halo.contracts (
    id              bigint PRIMARY KEY,
    client_id       bigint,
    client_name     text,
    site_id         bigint,
    ref             text,
    start_date      timestamptz,
    end_date        timestamptz,
    expired         boolean,
    active          boolean,
    status          text,
    contract_status text,
    billingperiod   bigint,
    inactive        boolean GENERATED ALWAYS AS (NOT active) STORED,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE INDEX contracts_client_id_idx ON halo.contracts (client_id);
COMMENT ON TABLE halo.contracts IS 'Client contracts (GET /api/ClientContract, ContractHeader schema).';
COMMENT ON COLUMN halo.contracts.id IS 'Halo contract id (primary key).';
COMMENT ON COLUMN halo.contracts.client_id IS 'Client (halo.clients.id).';
COMMENT ON COLUMN halo.contracts.client_name IS 'Client name at the time of the last sync.';
COMMENT ON COLUMN halo.contracts.site_id IS 'Site the contract is limited to (halo.sites.id); 0 or -1 when client-wide.';
COMMENT ON COLUMN halo.contracts.ref IS 'Contract reference.';
COMMENT ON COLUMN halo.contracts.start_date IS 'Contract start (UTC).';
COMMENT ON COLUMN halo.contracts.end_date IS 'Contract end (UTC); NULL when open-ended or unset.';
COMMENT ON COLUMN halo.contracts.expired IS 'True when Halo considers the contract expired.';
COMMENT ON COLUMN halo.contracts.active IS 'True when the contract is active in Halo (Halo''s own flag).';
COMMENT ON COLUMN halo.contracts.status IS 'Contract status text as sent by Halo.';
COMMENT ON COLUMN halo.contracts.contract_status IS 'Contract status name as sent by Halo.';
COMMENT ON COLUMN halo.contracts.billingperiod IS 'Billing period code as sent by Halo.';
COMMENT ON COLUMN halo.contracts.inactive IS 'NOT active (computed), so every table with a lifecycle has an inactive column.';

-- halo.statuses
CREATE TABLE halo.statuses (
    id              bigint PRIMARY KEY,
    name            text,
    shortname       text,
    type            bigint,
    sequence        bigint,
    colour          text,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
COMMENT ON TABLE halo.statuses IS 'Ticket statuses lookup (GET /api/Status). Join halo.tickets.status_id to id.';
COMMENT ON COLUMN halo.statuses.id IS 'Halo status id (primary key).';
COMMENT ON COLUMN halo.statuses.name IS 'Status name, e.g. "New", "Closed".';
COMMENT ON COLUMN halo.statuses.shortname IS 'Short name.';
COMMENT ON COLUMN halo.statuses.type IS 'Status kind (0 = ticket status).';
COMMENT ON COLUMN halo.statuses.sequence IS 'Display order in Halo.';
COMMENT ON COLUMN halo.statuses.colour IS 'Display colour (hex).';

-- halo.ticket_types
CREATE TABLE halo.ticket_types (
    id              bigint PRIMARY KEY,
    name            text,
    use             text,
    group_id        bigint,
    visible         boolean,
    inactive        boolean,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
COMMENT ON TABLE halo.ticket_types IS 'Ticket types lookup (GET /api/RequestType). Join halo.tickets.tickettype_id to id.';
COMMENT ON COLUMN halo.ticket_types.id IS 'Halo ticket type id (primary key).';
COMMENT ON COLUMN halo.ticket_types.name IS 'Ticket type name, e.g. "Incident".';
COMMENT ON COLUMN halo.ticket_types.use IS 'What the type is used for (Halo''s use field, e.g. ticket, opportunity, project), as text.';
COMMENT ON COLUMN halo.ticket_types.group_id IS 'Ticket type group id.';
COMMENT ON COLUMN halo.ticket_types.visible IS 'True when the type is visible to users.';
COMMENT ON COLUMN halo.ticket_types.inactive IS 'True when the type is marked inactive in Halo.';

-- halo.teams
CREATE TABLE halo.teams (
    id              bigint PRIMARY KEY,
    name            text,
    inactive        boolean,
    department_id   bigint,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
COMMENT ON TABLE halo.teams IS 'Agent teams lookup (GET /api/Team). halo.tickets.team holds the name, team_id the id.';
COMMENT ON COLUMN halo.teams.id IS 'Halo team id (primary key).';
COMMENT ON COLUMN halo.teams.name IS 'Team name (what Halo writes on tickets).';
COMMENT ON COLUMN halo.teams.inactive IS 'True when the team is marked inactive in Halo.';
COMMENT ON COLUMN halo.teams.department_id IS 'Department the team belongs to.';

-- halo.priorities
CREATE TABLE halo.priorities (
    id              text PRIMARY KEY,
    priorityid      bigint,
    slaid           bigint,
    name            text,
    ishidden        boolean,
    colour          text,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
COMMENT ON TABLE halo.priorities IS 'Priorities per SLA (GET /api/Priority, Policy schema). One priority number exists once per SLA: join tickets on (priority_id, sla_id) = (priorityid, slaid).';
COMMENT ON COLUMN halo.priorities.id IS 'Halo policy id, a GUID string (primary key).';
COMMENT ON COLUMN halo.priorities.priorityid IS 'Priority number as used in halo.tickets.priority_id.';
COMMENT ON COLUMN halo.priorities.slaid IS 'SLA this priority belongs to (matches halo.tickets.sla_id).';
COMMENT ON COLUMN halo.priorities.name IS 'Priority name, e.g. "P1 - Critical".';
COMMENT ON COLUMN halo.priorities.ishidden IS 'True when hidden in Halo.';
COMMENT ON COLUMN halo.priorities.colour IS 'Display colour (hex).';

-- The four bookkeeping columns mean the same in every mirror table; comment them in one place.
-- +goose StatementBegin
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('clients', 'alastupdate'), ('sites', 'slastupdate'), ('users', 'ulastupdate'),
        ('agents', 'last_modified'), ('tickets', 'last_update (also lastupdate / flastupdate)'),
        ('actions', 'last_updated'), ('assets', 'dlastupdate or last_modified'),
        ('contracts', 'last_modified'), ('statuses', 'none; always NULL'),
        ('ticket_types', 'none; always NULL'), ('teams', 'last_modified'),
        ('priorities', 'none; always NULL')) AS v(tbl, src)
    LOOP
        EXECUTE format('COMMENT ON COLUMN halo.%I.raw IS %L', t.tbl,
            'The record exactly as last received from Halo (JSON). Typed columns are copied from it; fields without a column are only here.');
        EXECUTE format('COMMENT ON COLUMN halo.%I.halo_updated_at IS %L', t.tbl,
            'Halo''s own last-modified time of the record (UTC; Halo field: ' || t.src || '). Drives incremental sync.');
        EXECUTE format('COMMENT ON COLUMN halo.%I.synced_at IS %L', t.tbl,
            'When halosync last inserted, changed or tombstoned this row. Not bumped when a re-read record was unchanged, so it marks real changes.');
        EXECUTE format('COMMENT ON COLUMN halo.%I.deleted_at IS %L', t.tbl,
            'When halosync found the record deleted in Halo (gone from Halo or flagged deleted). NULL = live. The row keeps its last known values; cleared if the record reappears. Filter deleted_at IS NULL for current data.');
    END LOOP;
END
$$;
-- +goose StatementEnd

-- ---------------------------------------------------------------------------------------------------------
-- Read-only role for analysts and BI tools. Roles are cluster-wide: create it only if missing, and tolerate a
-- concurrent creator (another database migrating at the same moment).
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'halosync_reader') THEN
        CREATE ROLE halosync_reader NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA halo TO halosync_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA halo TO halosync_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA halo GRANT SELECT ON TABLES TO halosync_reader;

-- ---------------------------------------------------------------------------------------------------------
-- Sync state (schema halosync).
CREATE TABLE halosync.entity_state (
    entity               text PRIMARY KEY,
    cursor               timestamptz,
    last_pull_at         timestamptz,
    last_success_at      timestamptz,
    last_full_at         timestamptz,
    rows                 bigint NOT NULL DEFAULT 0,
    last_error           text,
    incremental_honoured boolean,
    bulk_actions         boolean,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE halosync.entity_state IS 'One row per synced entity (clients, tickets, ...): the incremental cursor and health of its last pulls.';
COMMENT ON COLUMN halosync.entity_state.entity IS 'Entity name, same as the halo table name (e.g. tickets).';
COMMENT ON COLUMN halosync.entity_state.cursor IS 'High-water mark: the largest Halo last-update time stored so far (Halo''s clock, not ours). The next incremental pull asks from here minus a lookback. Advanced in the same transaction as the rows.';
COMMENT ON COLUMN halosync.entity_state.last_pull_at IS 'When the last pull of this entity started (success or not).';
COMMENT ON COLUMN halosync.entity_state.last_success_at IS 'When the last pull finished successfully.';
COMMENT ON COLUMN halosync.entity_state.last_full_at IS 'When the last full pull (all records, with delete reconciliation) finished successfully.';
COMMENT ON COLUMN halosync.entity_state.rows IS 'Live rows (deleted_at IS NULL) in the mirror table after the last successful pull.';
COMMENT ON COLUMN halosync.entity_state.last_error IS 'Error of the last failed pull; NULL after a success.';
COMMENT ON COLUMN halosync.entity_state.incremental_honoured IS 'Whether Halo honours lastupdatefromdate for this entity (probed). NULL = not yet known; false = always pull in full.';
COMMENT ON COLUMN halosync.entity_state.bulk_actions IS 'Actions only: whether GET /api/Actions can be walked across tickets. NULL = not yet probed; false = read actions per ticket.';
COMMENT ON COLUMN halosync.entity_state.updated_at IS 'When this row was last written.';

CREATE TABLE halosync.runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity      text NOT NULL,
    mode        text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    requests    bigint NOT NULL DEFAULT 0,
    fetched     bigint NOT NULL DEFAULT 0,
    inserted    bigint NOT NULL DEFAULT 0,
    updated     bigint NOT NULL DEFAULT 0,
    unchanged   bigint NOT NULL DEFAULT 0,
    tombstoned  bigint NOT NULL DEFAULT 0,
    rejected    bigint NOT NULL DEFAULT 0,
    error       text
);
CREATE INDEX runs_entity_started_at_idx ON halosync.runs (entity, started_at DESC);
COMMENT ON TABLE halosync.runs IS 'Run ledger: one row per pull of one entity, with counts. fetched should equal inserted + updated + unchanged + rejected (minus duplicates Halo repeated across pages); alarm when it does not.';
COMMENT ON COLUMN halosync.runs.id IS 'Run id.';
COMMENT ON COLUMN halosync.runs.entity IS 'Entity pulled (e.g. tickets).';
COMMENT ON COLUMN halosync.runs.mode IS 'Kind of run: full, incremental, reconcile, webhook, ...';
COMMENT ON COLUMN halosync.runs.started_at IS 'When the run started.';
COMMENT ON COLUMN halosync.runs.finished_at IS 'When the run finished; NULL while running or if the worker died.';
COMMENT ON COLUMN halosync.runs.requests IS 'HTTP requests sent to the Halo API during the run.';
COMMENT ON COLUMN halosync.runs.fetched IS 'Records received from Halo (after de-duplication across pages).';
COMMENT ON COLUMN halosync.runs.inserted IS 'Rows new to the mirror.';
COMMENT ON COLUMN halosync.runs.updated IS 'Existing rows whose content changed (or came back from deleted).';
COMMENT ON COLUMN halosync.runs.unchanged IS 'Records identical to the stored row (not rewritten).';
COMMENT ON COLUMN halosync.runs.tombstoned IS 'Rows marked deleted (deleted_at set) during the run.';
COMMENT ON COLUMN halosync.runs.rejected IS 'Records that could not be stored; see halosync.rejects.';
COMMENT ON COLUMN halosync.runs.error IS 'Error that ended the run; NULL on success.';

CREATE TABLE halosync.rejects (
    entity     text NOT NULL,
    record_key text NOT NULL,
    raw        jsonb,
    raw_bytes  bytea,
    reason     text NOT NULL,
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    seen_count integer NOT NULL DEFAULT 1,
    PRIMARY KEY (entity, record_key)
);
COMMENT ON TABLE halosync.rejects IS 'Records Halo returned that halosync could not decode or store (one row per record; removed when the record later stores fine).';
COMMENT ON COLUMN halosync.rejects.entity IS 'Entity of the record (e.g. tickets).';
COMMENT ON COLUMN halosync.rejects.record_key IS 'Record key as text: the id, or "ticket_id/id" for actions; a hash-based key when the id itself was unreadable.';
COMMENT ON COLUMN halosync.rejects.raw IS 'The record as received, when it is storable as jsonb; NULL otherwise (see raw_bytes).';
COMMENT ON COLUMN halosync.rejects.raw_bytes IS 'The exact bytes received, kept only when they cannot be stored as jsonb (e.g. \u0000 escapes or invalid JSON).';
COMMENT ON COLUMN halosync.rejects.reason IS 'Why the record was rejected.';
COMMENT ON COLUMN halosync.rejects.first_seen IS 'When the record was first rejected.';
COMMENT ON COLUMN halosync.rejects.last_seen IS 'When the record was last rejected.';
COMMENT ON COLUMN halosync.rejects.seen_count IS 'How many times the record has been rejected.';

-- goose created its version table in halosync before this file ran; document it like everything else.
COMMENT ON TABLE halosync.goose_db_version IS 'Applied schema migrations (maintained by goose; do not edit).';
COMMENT ON COLUMN halosync.goose_db_version.id IS 'Row id.';
COMMENT ON COLUMN halosync.goose_db_version.version_id IS 'Migration version (file number).';
COMMENT ON COLUMN halosync.goose_db_version.is_applied IS 'True for an up migration, false for a recorded down.';
COMMENT ON COLUMN halosync.goose_db_version.tstamp IS 'When the migration ran.';

-- +goose Down
DROP TABLE halosync.rejects;
DROP TABLE halosync.runs;
DROP TABLE halosync.entity_state;
-- Revoke the default privileges we added so the role can be dropped by an operator later; the role itself is
-- cluster-wide and may serve other databases, so it is left in place.
ALTER DEFAULT PRIVILEGES IN SCHEMA halo REVOKE SELECT ON TABLES FROM halosync_reader;
DROP SCHEMA halo CASCADE;
