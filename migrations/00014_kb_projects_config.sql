-- Knowledge base, projects and opportunities, organisations, top levels, attachment metadata, SLAs, ticket
-- categories, outcomes (action types) and Halo's instance info (issue 18).
--
-- Facts are from the Halo API notes on the other entities and Halo's published swagger (schemas KBEntry_List, Faults_List,
-- Organisation, Tree_List, Attachment_List, SlaHead, CategoryDetail, TOutcome). Typed columns are the fields
-- Halo sends in list rows, named as Halo names them; everything else stays in raw.
--
-- Projects and opportunities ARE tickets in Halo (same table, same ids, /api/Projects and /api/Opportunities
-- are filtered views of /api/Tickets, whose unfiltered walk returns every area). They are stored once, in
-- halo.tickets, which gains the request-type, parent and project/opportunity columns of the Faults_List
-- schema; the views halo.projects, halo.project_tasks and halo.opportunities pick them out. The views are
-- simple (one table), so Postgres lets analysts UPDATE, INSERT and DELETE through them: the ticket triggers
-- push the change as a ticket edit.

-- +goose Up

-- ---------------------------------------------------------------------------------------------------------
-- Projects and opportunities on halo.tickets (all fields of Halo's Faults_List schema, i.e. sent in list rows).
ALTER TABLE halo.tickets
    ADD COLUMN itil_requesttype_id      bigint,
    ADD COLUMN parent_id                bigint,
    ADD COLUMN attachment_count         bigint,
    ADD COLUMN third_party_id_string    text,
    ADD COLUMN startdate                timestamptz,
    ADD COLUMN deadlinedate             timestamptz,
    ADD COLUMN projecttimebudget        numeric,
    ADD COLUMN projectmoneybudget       numeric,
    ADD COLUMN projecttimeactual        numeric,
    ADD COLUMN projectmoneyactual       numeric,
    ADD COLUMN oppvalue                 numeric,
    ADD COLUMN oppconversionprobability numeric,
    ADD COLUMN oppprofit                numeric,
    ADD COLUMN oppcompanyname           text,
    ADD COLUMN oppcontactname           text,
    ADD COLUMN oppemailaddress          text,
    ADD COLUMN oppconverteddate         timestamptz,
    ADD COLUMN oppclosurecategory       bigint;
CREATE INDEX tickets_itil_requesttype_id_idx ON halo.tickets (itil_requesttype_id) WHERE itil_requesttype_id IS NOT NULL;
CREATE INDEX tickets_parent_id_idx ON halo.tickets (parent_id) WHERE parent_id IS NOT NULL;
COMMENT ON COLUMN halo.tickets.itil_requesttype_id IS 'Halo''s ITIL request type of the ticket''s type: 1 incident, 2 change request, 3 service request, 4 problem, 20 opportunity (request for quote), 22 project, 23 project task; NULL when Halo sent none. halo.projects, halo.project_tasks and halo.opportunities select on it.';
COMMENT ON COLUMN halo.tickets.parent_id IS 'Parent ticket (halo.tickets.id): the project a task belongs to, or the parent of a child ticket; NULL when none (Halo sends 0). Writable: set it on an insert to create a task under a project.';
COMMENT ON COLUMN halo.tickets.attachment_count IS 'Number of attachments Halo counts on the ticket; NULL when Halo sent none. halosync reads attachment metadata (halo.attachments) only for tickets where this is above 0.';
COMMENT ON COLUMN halo.tickets.third_party_id_string IS 'External id string. halosync writes its create marker here on tickets it creates (unless HALOSYNC_CREATE_MARKER names another field), so a create interrupted by a crash is found instead of sent twice.';
COMMENT ON COLUMN halo.tickets.startdate IS 'Start date (UTC), used by projects and tasks; NULL when unset or a 1900 sentinel.';
COMMENT ON COLUMN halo.tickets.deadlinedate IS 'Deadline (UTC), used by projects and tasks; NULL when unset or a 1900 sentinel.';
COMMENT ON COLUMN halo.tickets.projecttimebudget IS 'Projects: time budget in hours; NULL when Halo sent none.';
COMMENT ON COLUMN halo.tickets.projectmoneybudget IS 'Projects: money budget; NULL when Halo sent none.';
COMMENT ON COLUMN halo.tickets.projecttimeactual IS 'Projects: hours logged so far, as Halo computes it (read-only); NULL when Halo sent none.';
COMMENT ON COLUMN halo.tickets.projectmoneyactual IS 'Projects: money spent so far, as Halo computes it (read-only); NULL when Halo sent none.';
COMMENT ON COLUMN halo.tickets.oppvalue IS 'Opportunities: value of the deal; NULL when Halo sent none.';
COMMENT ON COLUMN halo.tickets.oppconversionprobability IS 'Opportunities: probability of conversion as Halo stores it (percent); NULL when Halo sent none.';
COMMENT ON COLUMN halo.tickets.oppprofit IS 'Opportunities: expected profit; NULL when Halo sent none.';
COMMENT ON COLUMN halo.tickets.oppcompanyname IS 'Opportunities: prospect company name; NULL when empty.';
COMMENT ON COLUMN halo.tickets.oppcontactname IS 'Opportunities: prospect contact name; NULL when empty.';
COMMENT ON COLUMN halo.tickets.oppemailaddress IS 'Opportunities: prospect email address; NULL when empty.';
COMMENT ON COLUMN halo.tickets.oppconverteddate IS 'Opportunities: when it was converted (won), UTC; NULL while not converted or a 1900 sentinel.';
COMMENT ON COLUMN halo.tickets.oppclosurecategory IS 'Opportunities: closure category id (why it was won or lost); NULL when none.';

INSERT INTO halosync.writable_columns (entity, column_name)
SELECT 'tickets', unnest(ARRAY['parent_id', 'startdate', 'deadlinedate', 'projecttimebudget', 'projectmoneybudget',
                               'oppvalue', 'oppconversionprobability', 'oppcompanyname', 'oppcontactname',
                               'oppemailaddress']);

-- Views over halo.tickets. A ticket is a project or an opportunity by its ITIL request type as Halo sends it on
-- list rows (itil_requesttype_id), or by the is_project / is_opportunity flags of the full ticket record when
-- a GET by id or a push reply stored it. Each reads one table, so it is updatable: an UPDATE through it is a
-- ticket edit, pushed to Halo like any other (writable columns: halosync.writable_columns, entity tickets).
CREATE VIEW halo.projects AS
SELECT id, summary, details, client_id, client_name, site_id, user_id, agent_id, team, status_id, tickettype_id,
       itil_requesttype_id, startdate, targetdate, deadlinedate, projecttimebudget, projecttimeactual,
       projectmoneybudget, projectmoneyactual, dateoccurred, dateclosed, halo_updated_at, synced_at
FROM halo.tickets
WHERE deleted_at IS NULL AND parent_id IS NULL
  AND (itil_requesttype_id = 22 OR raw @> '{"is_project": true}');
COMMENT ON VIEW halo.projects IS 'Live projects: tickets of Halo''s project request type (itil_requesttype_id 22) without a parent. Stored once, in halo.tickets (same id); their actions are in halo.actions, their tasks in halo.project_tasks. Updatable: an UPDATE here is pushed to Halo as a ticket edit.';
COMMENT ON COLUMN halo.projects.id IS 'Project (ticket) id, halo.tickets.id.';
COMMENT ON COLUMN halo.projects.summary IS 'Project name (ticket summary).';
COMMENT ON COLUMN halo.projects.details IS 'Project description as plain text.';
COMMENT ON COLUMN halo.projects.client_id IS 'Client (halo.clients.id).';
COMMENT ON COLUMN halo.projects.client_name IS 'Client name at the time of the last sync.';
COMMENT ON COLUMN halo.projects.site_id IS 'Site (halo.sites.id).';
COMMENT ON COLUMN halo.projects.user_id IS 'End user (halo.users.id).';
COMMENT ON COLUMN halo.projects.agent_id IS 'Assigned agent (halo.agents.id); 1 = unassigned.';
COMMENT ON COLUMN halo.projects.team IS 'Assigned team by name.';
COMMENT ON COLUMN halo.projects.status_id IS 'Status (halo.statuses.id).';
COMMENT ON COLUMN halo.projects.tickettype_id IS 'Ticket type (halo.ticket_types.id), one whose ITIL request type is project.';
COMMENT ON COLUMN halo.projects.itil_requesttype_id IS '22 (project) as Halo sent it; NULL when the row is a project only by raw is_project.';
COMMENT ON COLUMN halo.projects.startdate IS 'Start date (UTC).';
COMMENT ON COLUMN halo.projects.targetdate IS 'Target date (UTC).';
COMMENT ON COLUMN halo.projects.deadlinedate IS 'Deadline (UTC).';
COMMENT ON COLUMN halo.projects.projecttimebudget IS 'Time budget, hours.';
COMMENT ON COLUMN halo.projects.projecttimeactual IS 'Hours logged so far (Halo''s figure).';
COMMENT ON COLUMN halo.projects.projectmoneybudget IS 'Money budget.';
COMMENT ON COLUMN halo.projects.projectmoneyactual IS 'Money spent so far (Halo''s figure).';
COMMENT ON COLUMN halo.projects.dateoccurred IS 'When the project was opened (UTC).';
COMMENT ON COLUMN halo.projects.dateclosed IS 'When it was closed (UTC); NULL while open.';
COMMENT ON COLUMN halo.projects.halo_updated_at IS 'Halo''s last-modified time of the ticket (UTC).';
COMMENT ON COLUMN halo.projects.synced_at IS 'When halosync last changed the row.';

CREATE VIEW halo.project_tasks AS
SELECT t.id, t.parent_id, t.summary, t.details, t.client_id, t.agent_id, t.team, t.status_id, t.tickettype_id,
       t.itil_requesttype_id, t.startdate, t.targetdate, t.deadlinedate, t.dateoccurred, t.dateclosed,
       t.halo_updated_at, t.synced_at
FROM halo.tickets t
WHERE t.deleted_at IS NULL
  AND (t.itil_requesttype_id = 23
       OR t.parent_id IN (SELECT p.id FROM halo.tickets p WHERE p.itil_requesttype_id = 22 OR p.raw @> '{"is_project": true}'));
COMMENT ON VIEW halo.project_tasks IS 'Live project tasks: tickets of Halo''s task request type (itil_requesttype_id 23) or whose parent is a project. parent_id is the project (halo.projects.id). Updatable like halo.projects; INSERT with parent_id set to create a task.';
COMMENT ON COLUMN halo.project_tasks.id IS 'Task (ticket) id, halo.tickets.id.';
COMMENT ON COLUMN halo.project_tasks.parent_id IS 'Project the task belongs to (halo.projects.id).';
COMMENT ON COLUMN halo.project_tasks.summary IS 'Task subject.';
COMMENT ON COLUMN halo.project_tasks.details IS 'Task description as plain text.';
COMMENT ON COLUMN halo.project_tasks.client_id IS 'Client (halo.clients.id).';
COMMENT ON COLUMN halo.project_tasks.agent_id IS 'Assigned agent (halo.agents.id); 1 = unassigned.';
COMMENT ON COLUMN halo.project_tasks.team IS 'Assigned team by name.';
COMMENT ON COLUMN halo.project_tasks.status_id IS 'Status (halo.statuses.id).';
COMMENT ON COLUMN halo.project_tasks.tickettype_id IS 'Ticket type (halo.ticket_types.id).';
COMMENT ON COLUMN halo.project_tasks.itil_requesttype_id IS 'ITIL request type as Halo sent it (23 for tasks).';
COMMENT ON COLUMN halo.project_tasks.startdate IS 'Start date (UTC).';
COMMENT ON COLUMN halo.project_tasks.targetdate IS 'Target date (UTC).';
COMMENT ON COLUMN halo.project_tasks.deadlinedate IS 'Deadline (UTC).';
COMMENT ON COLUMN halo.project_tasks.dateoccurred IS 'When the task was opened (UTC).';
COMMENT ON COLUMN halo.project_tasks.dateclosed IS 'When it was closed (UTC); NULL while open.';
COMMENT ON COLUMN halo.project_tasks.halo_updated_at IS 'Halo''s last-modified time of the ticket (UTC).';
COMMENT ON COLUMN halo.project_tasks.synced_at IS 'When halosync last changed the row.';

CREATE VIEW halo.opportunities AS
SELECT id, summary, details, client_id, client_name, user_id, agent_id, team, status_id, tickettype_id,
       itil_requesttype_id, oppvalue, oppconversionprobability, oppprofit, oppcompanyname, oppcontactname,
       oppemailaddress, oppconverteddate, oppclosurecategory, dateoccurred, dateclosed, halo_updated_at, synced_at
FROM halo.tickets
WHERE deleted_at IS NULL
  AND (itil_requesttype_id = 20 OR raw @> '{"is_opportunity": true}' OR raw @> '{"use": "opp"}'
       OR tickettype_id IN (SELECT tt.id FROM halo.ticket_types tt WHERE tt.use = 'opp'));
COMMENT ON VIEW halo.opportunities IS 'Live opportunities (sales leads): tickets of Halo''s opportunity request type (itil_requesttype_id 20) or of a ticket type whose use is "opp", read with the normal ticket walk (GET /api/Tickets returns every area; /api/Opportunities, which needs the Sales module, is never called). Stored once, in halo.tickets. Updatable: an UPDATE here is pushed to Halo as a ticket edit.';
COMMENT ON COLUMN halo.opportunities.id IS 'Opportunity (ticket) id, halo.tickets.id.';
COMMENT ON COLUMN halo.opportunities.summary IS 'Opportunity subject.';
COMMENT ON COLUMN halo.opportunities.details IS 'Description as plain text.';
COMMENT ON COLUMN halo.opportunities.client_id IS 'Client (halo.clients.id), when the prospect is one.';
COMMENT ON COLUMN halo.opportunities.client_name IS 'Client name at the time of the last sync.';
COMMENT ON COLUMN halo.opportunities.user_id IS 'End user (halo.users.id).';
COMMENT ON COLUMN halo.opportunities.agent_id IS 'Owning agent (halo.agents.id); 1 = unassigned.';
COMMENT ON COLUMN halo.opportunities.team IS 'Team by name.';
COMMENT ON COLUMN halo.opportunities.status_id IS 'Status (halo.statuses.id).';
COMMENT ON COLUMN halo.opportunities.tickettype_id IS 'Ticket type (halo.ticket_types.id).';
COMMENT ON COLUMN halo.opportunities.itil_requesttype_id IS 'ITIL request type as Halo sent it (20 for opportunities); an opportunity may also be known by its ticket type (use "opp") or the is_opportunity flag of its full record.';
COMMENT ON COLUMN halo.opportunities.oppvalue IS 'Value of the deal.';
COMMENT ON COLUMN halo.opportunities.oppconversionprobability IS 'Probability of conversion (percent).';
COMMENT ON COLUMN halo.opportunities.oppprofit IS 'Expected profit.';
COMMENT ON COLUMN halo.opportunities.oppcompanyname IS 'Prospect company name.';
COMMENT ON COLUMN halo.opportunities.oppcontactname IS 'Prospect contact name.';
COMMENT ON COLUMN halo.opportunities.oppemailaddress IS 'Prospect email address.';
COMMENT ON COLUMN halo.opportunities.oppconverteddate IS 'When it was converted (UTC); NULL while not.';
COMMENT ON COLUMN halo.opportunities.oppclosurecategory IS 'Closure category id; NULL when none.';
COMMENT ON COLUMN halo.opportunities.dateoccurred IS 'When it was opened (UTC).';
COMMENT ON COLUMN halo.opportunities.dateclosed IS 'When it was closed (UTC); NULL while open.';
COMMENT ON COLUMN halo.opportunities.halo_updated_at IS 'Halo''s last-modified time of the ticket (UTC).';
COMMENT ON COLUMN halo.opportunities.synced_at IS 'When halosync last changed the row.';

-- ---------------------------------------------------------------------------------------------------------
-- halo.kb_articles (pushable)
CREATE TABLE halo.kb_articles (
    id               bigint PRIMARY KEY,
    name             text,
    description      text,
    type             bigint,
    inactive         boolean,
    tag_string       text,
    view_count       bigint,
    useful_count     bigint,
    notuseful_count  bigint,
    date_created     timestamptz,
    date_edited      timestamptz,
    next_review_date timestamptz,
    raw              jsonb NOT NULL DEFAULT '{}'::jsonb,
    halo_updated_at  timestamptz,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
COMMENT ON TABLE halo.kb_articles IS 'Knowledge-base articles (GET /api/KBArticle, KBEntry_List schema), inactive ones included. HTML bodies and resolutions are only in Halo''s full record (GET by id) and not mirrored. Writable (see halosync.writable_columns): edits and inserts are pushed to Halo.';
COMMENT ON COLUMN halo.kb_articles.id IS 'Halo article id (primary key).';
COMMENT ON COLUMN halo.kb_articles.name IS 'Article title (Halo calls it name).';
COMMENT ON COLUMN halo.kb_articles.description IS 'Article body as plain text, as Halo sends it on list rows; NULL when empty.';
COMMENT ON COLUMN halo.kb_articles.type IS 'Article type as Halo codes it.';
COMMENT ON COLUMN halo.kb_articles.inactive IS 'True when the article is inactive in Halo (still a live row here; not a deletion).';
COMMENT ON COLUMN halo.kb_articles.tag_string IS 'Tags, comma-separated as Halo sends them; NULL when none.';
COMMENT ON COLUMN halo.kb_articles.view_count IS 'How often the article was viewed.';
COMMENT ON COLUMN halo.kb_articles.useful_count IS 'Votes "useful".';
COMMENT ON COLUMN halo.kb_articles.notuseful_count IS 'Votes "not useful".';
COMMENT ON COLUMN halo.kb_articles.date_created IS 'When the article was created (UTC).';
COMMENT ON COLUMN halo.kb_articles.date_edited IS 'When the article was last edited (UTC); halo_updated_at copies it.';
COMMENT ON COLUMN halo.kb_articles.next_review_date IS 'When the article is due for review (UTC); NULL when none.';

-- halo.organisations
CREATE TABLE halo.organisations (
    id              bigint PRIMARY KEY,
    guid            text,
    name            text,
    email           text,
    phone           text,
    website         text,
    portalurl       text,
    tax_number      text,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
COMMENT ON TABLE halo.organisations IS 'Organisations: the tenant''s own companies (GET /api/Organisation, a bare array; Organisation schema). Top levels belong to one (halo.top_levels.organisation_id). The address is in raw.';
COMMENT ON COLUMN halo.organisations.id IS 'Halo organisation id (primary key).';
COMMENT ON COLUMN halo.organisations.guid IS 'Halo''s GUID of the organisation.';
COMMENT ON COLUMN halo.organisations.name IS 'Organisation name.';
COMMENT ON COLUMN halo.organisations.email IS 'Email address.';
COMMENT ON COLUMN halo.organisations.phone IS 'Phone number.';
COMMENT ON COLUMN halo.organisations.website IS 'Website.';
COMMENT ON COLUMN halo.organisations.portalurl IS 'Self-service portal address of the organisation.';
COMMENT ON COLUMN halo.organisations.tax_number IS 'Tax (VAT) number.';

-- halo.top_levels
CREATE TABLE halo.top_levels (
    id                bigint PRIMARY KEY,
    guid              text,
    name              text,
    long_name         text,
    organisation_id   bigint,
    organisation_name text,
    type              bigint,
    raw               jsonb NOT NULL,
    halo_updated_at   timestamptz,
    synced_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
COMMENT ON TABLE halo.top_levels IS 'Top levels, Halo''s grouping above clients (GET /api/TopLevel, envelope "tree"; Tree_List schema). halo.clients.toplevel_id points here.';
COMMENT ON COLUMN halo.top_levels.id IS 'Halo top level id (primary key); halo.clients.toplevel_id.';
COMMENT ON COLUMN halo.top_levels.guid IS 'Halo''s GUID of the top level.';
COMMENT ON COLUMN halo.top_levels.name IS 'Top level name.';
COMMENT ON COLUMN halo.top_levels.long_name IS 'Full name (with the organisation).';
COMMENT ON COLUMN halo.top_levels.organisation_id IS 'Organisation it belongs to (halo.organisations.id); NULL when none.';
COMMENT ON COLUMN halo.top_levels.organisation_name IS 'Organisation name at the time of the last sync.';
COMMENT ON COLUMN halo.top_levels.type IS 'Top level type as Halo codes it.';

-- halo.attachments
CREATE TABLE halo.attachments (
    id              bigint PRIMARY KEY,
    ticket_id       bigint,
    filename        text,
    filesize        bigint,
    type            bigint,
    unique_id       bigint,
    "desc"          text,
    note            text,
    isimage         boolean,
    showforusers    boolean,
    datecreated     timestamptz,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE INDEX attachments_ticket_id_idx ON halo.attachments (ticket_id);
COMMENT ON TABLE halo.attachments IS 'Attachment metadata of tickets (GET /api/Attachment?ticket_id=N, rows of the "attachments" array; Attachment_List schema). No file content: Halo serves the file itself at GET /api/Attachment/{id}. Read per ticket, only for tickets whose last update moved since their attachments were last read and that have attachments (halo.tickets.attachment_count > 0, or rows here).';
COMMENT ON COLUMN halo.attachments.id IS 'Halo attachment id (primary key).';
COMMENT ON COLUMN halo.attachments.ticket_id IS 'Ticket the attachment belongs to (halo.tickets.id): the ticket it was listed for.';
COMMENT ON COLUMN halo.attachments.filename IS 'File name.';
COMMENT ON COLUMN halo.attachments.filesize IS 'File size in bytes.';
COMMENT ON COLUMN halo.attachments.type IS 'What the attachment is attached to, as Halo codes it.';
COMMENT ON COLUMN halo.attachments.unique_id IS 'Id of the record of that type the attachment is on (for action attachments: the action).';
COMMENT ON COLUMN halo.attachments."desc" IS 'Description (Halo''s field desc; quote it in SQL: a."desc"); NULL when empty.';
COMMENT ON COLUMN halo.attachments.note IS 'Note on the attachment; NULL when empty.';
COMMENT ON COLUMN halo.attachments.isimage IS 'True for images.';
COMMENT ON COLUMN halo.attachments.showforusers IS 'True when end users can see it on the portal.';
COMMENT ON COLUMN halo.attachments.datecreated IS 'When it was uploaded (UTC).';

-- halo.slas
CREATE TABLE halo.slas (
    id                     bigint PRIMARY KEY,
    guid                   text,
    name                   text,
    workday_id             bigint,
    hoursaretechslocaltime boolean,
    responsereset          boolean,
    trackslaresponsetime   boolean,
    trackslafixbytime      boolean,
    autoreleaseoption      boolean,
    autoreleaselimit       bigint,
    raw                    jsonb NOT NULL,
    halo_updated_at        timestamptz,
    synced_at              timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz
);
COMMENT ON TABLE halo.slas IS 'Service level agreements (GET /api/SLA, a bare array; SlaHead schema). halo.tickets.sla_id and halo.priorities.slaid point here; the targets per priority are in halo.priorities.';
COMMENT ON COLUMN halo.slas.id IS 'Halo SLA id (primary key).';
COMMENT ON COLUMN halo.slas.guid IS 'Halo''s GUID of the SLA.';
COMMENT ON COLUMN halo.slas.name IS 'SLA name.';
COMMENT ON COLUMN halo.slas.workday_id IS 'Working-hours calendar the SLA clock follows.';
COMMENT ON COLUMN halo.slas.hoursaretechslocaltime IS 'True when working hours are in the agent''s local time.';
COMMENT ON COLUMN halo.slas.responsereset IS 'True when a response resets the response clock.';
COMMENT ON COLUMN halo.slas.trackslaresponsetime IS 'True when the response target is tracked.';
COMMENT ON COLUMN halo.slas.trackslafixbytime IS 'True when the fix-by target is tracked.';
COMMENT ON COLUMN halo.slas.autoreleaseoption IS 'True when tickets on hold are released automatically.';
COMMENT ON COLUMN halo.slas.autoreleaselimit IS 'Auto-release limit as Halo stores it.';

-- halo.categories
CREATE TABLE halo.categories (
    id                bigint PRIMARY KEY,
    guid              text,
    value             text,
    category_name     text,
    type_id           bigint,
    category_group_id bigint,
    sla_id            bigint,
    priority_id       bigint,
    chargerate        bigint,
    raw               jsonb NOT NULL,
    halo_updated_at   timestamptz,
    synced_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
COMMENT ON TABLE halo.categories IS 'Ticket categories (GET /api/Category, a bare array; CategoryDetail schema). Tickets hold the category text (halo.tickets.category_1 = value), not its id.';
COMMENT ON COLUMN halo.categories.id IS 'Halo category id (primary key).';
COMMENT ON COLUMN halo.categories.guid IS 'Halo''s GUID of the category.';
COMMENT ON COLUMN halo.categories.value IS 'Category text as tickets carry it (e.g. "Hardware>Laptop").';
COMMENT ON COLUMN halo.categories.category_name IS 'Category display name.';
COMMENT ON COLUMN halo.categories.type_id IS 'Which category slot (1 to 4, matching category_1 .. category_4 of tickets).';
COMMENT ON COLUMN halo.categories.category_group_id IS 'Category group id; NULL when none.';
COMMENT ON COLUMN halo.categories.sla_id IS 'SLA the category sets (halo.slas.id); NULL when none.';
COMMENT ON COLUMN halo.categories.priority_id IS 'Priority the category sets; NULL when none.';
COMMENT ON COLUMN halo.categories.chargerate IS 'Charge rate the category sets, as Halo codes it; NULL when none.';

-- halo.outcomes
CREATE TABLE halo.outcomes (
    id              bigint PRIMARY KEY,
    outcome         text,
    buttonname      text,
    labellong       text,
    sequence        bigint,
    hidden          boolean,
    systemid        bigint,
    newstatus       bigint,
    colour          text,
    icon            text,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
COMMENT ON TABLE halo.outcomes IS 'Outcomes, i.e. action types (GET /api/Outcome, a bare array; TOutcome schema), hidden ones included. halo.actions.outcome_id points here. Halo sends 230-odd keys per row: all in raw.';
COMMENT ON COLUMN halo.outcomes.id IS 'Halo outcome id (primary key); halo.actions.outcome_id.';
COMMENT ON COLUMN halo.outcomes.outcome IS 'Action type name (what halo.actions.outcome shows).';
COMMENT ON COLUMN halo.outcomes.buttonname IS 'Label of the button agents press.';
COMMENT ON COLUMN halo.outcomes.labellong IS 'Long label.';
COMMENT ON COLUMN halo.outcomes.sequence IS 'Display order.';
COMMENT ON COLUMN halo.outcomes.hidden IS 'True when hidden from agents (not a deletion).';
COMMENT ON COLUMN halo.outcomes.systemid IS 'Halo''s system action id for built-in actions; NULL for custom ones.';
COMMENT ON COLUMN halo.outcomes.newstatus IS 'Status the action sets (halo.statuses.id); NULL when it keeps the status.';
COMMENT ON COLUMN halo.outcomes.colour IS 'Display colour.';
COMMENT ON COLUMN halo.outcomes.icon IS 'Display icon.';

-- The bookkeeping columns mean the same as in every mirror table.
-- +goose StatementBegin
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('kb_articles', 'date_edited'), ('organisations', 'none; always NULL'), ('top_levels', 'none; always NULL'),
        ('attachments', 'none; always NULL'), ('slas', 'none; always NULL'), ('categories', 'none; always NULL'),
        ('outcomes', 'none; always NULL')) AS v(tbl, src)
    LOOP
        EXECUTE format('COMMENT ON COLUMN halo.%I.raw IS %L', t.tbl,
            'The record exactly as last received from Halo (JSON). Typed columns are copied from it; fields without a column are only here.');
        EXECUTE format('COMMENT ON COLUMN halo.%I.halo_updated_at IS %L', t.tbl,
            'Halo''s own last-modified time of the record (UTC; Halo field: ' || t.src || ').');
        EXECUTE format('COMMENT ON COLUMN halo.%I.synced_at IS %L', t.tbl,
            'When halosync last inserted or changed this row, or tombstoned it in a pull: the start time of that transaction (a thousand rows share it). '
            || 'Not bumped when a re-read record was unchanged, nor by a local DELETE (that sets deleted_at only). '
            || 'Good for "changed in the last hour"; to follow changes without gaps use change_xid.');
        EXECUTE format('COMMENT ON COLUMN halo.%I.deleted_at IS %L', t.tbl,
            'When halosync found the record deleted in Halo (gone from a complete list). NULL = live. The row keeps its last known values; cleared if the record reappears. Filter deleted_at IS NULL for current data.');
        EXECUTE format('ALTER TABLE halo.%I ADD COLUMN change_xid xid8', t.tbl);
        EXECUTE format('COMMENT ON COLUMN halo.%I.change_xid IS %L', t.tbl,
            'Id of the transaction that last inserted, changed or tombstoned this row (pg_current_xact_id()). '
            || 'To follow changes without missing any: with each read also take pg_snapshot_xmin(pg_current_snapshot()) in the same statement, '
            || 'and next time read WHERE change_xid >= that value (rows may repeat, none is missed). Indexed.');
        EXECUTE format('CREATE INDEX %I ON halo.%I (change_xid)', t.tbl || '_change_xid_idx', t.tbl);
        EXECUTE format('CREATE TRIGGER zz_halosync_stamp_change BEFORE INSERT OR UPDATE ON halo.%I FOR EACH ROW EXECUTE FUNCTION halosync.stamp_change()', t.tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- KB articles are pushable like the tables of 00003: guard and capture triggers, writable columns.
INSERT INTO halosync.writable_columns (entity, column_name)
SELECT 'kb_articles', unnest(ARRAY['name', 'description', 'type', 'inactive', 'tag_string', 'next_review_date']);
CREATE TRIGGER halosync_guard BEFORE INSERT OR UPDATE OR DELETE ON halo.kb_articles FOR EACH ROW EXECUTE FUNCTION halosync.guard();
CREATE TRIGGER halosync_capture AFTER INSERT OR UPDATE ON halo.kb_articles FOR EACH ROW EXECUTE FUNCTION halosync.capture();

-- ---------------------------------------------------------------------------------------------------------
-- Halo's instance info (GET /api/InstanceInfo, one object): the version history, and the version each run saw.
-- Not a mirror of a Halo list (no id, nothing to tombstone), so the table is halosync's and analysts read the
-- view halo.instance_info.
CREATE TABLE halosync.instance_versions (
    app_version      text PRIMARY KEY,
    app_name         text,
    database_version text,
    hosted_group     text,
    first_seen_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    raw              jsonb NOT NULL
);
COMMENT ON TABLE halosync.instance_versions IS 'Halo versions this mirror was synced from (GET /api/InstanceInfo, re-read by the pulls at most hourly), one row per app_version. Read by analysts through halo.instance_info.';
COMMENT ON COLUMN halosync.instance_versions.app_version IS 'Halo application version, e.g. "2.236.133" (primary key).';
COMMENT ON COLUMN halosync.instance_versions.app_name IS 'Application name Halo reports (HaloPSA, HaloITSM, ...).';
COMMENT ON COLUMN halosync.instance_versions.database_version IS 'Halo database version at the latest sighting.';
COMMENT ON COLUMN halosync.instance_versions.hosted_group IS 'Halo hosting group, e.g. "US16-Stable8" (trial tenants ride beta groups).';
COMMENT ON COLUMN halosync.instance_versions.first_seen_at IS 'When a pull first saw this version (our clock).';
COMMENT ON COLUMN halosync.instance_versions.last_seen_at IS 'When a pull last saw this version (our clock).';
COMMENT ON COLUMN halosync.instance_versions.raw IS 'The InstanceInfo object as last received at this version.';

CREATE VIEW halo.instance_info AS
SELECT app_version, app_name, database_version, hosted_group, first_seen_at, last_seen_at, raw
FROM halosync.instance_versions;
COMMENT ON VIEW halo.instance_info IS 'Halo versions this mirror was synced from (GET /api/InstanceInfo), one row per app_version, newest last_seen_at = current. When Halo adds, renames or drops fields, compare first_seen_at with the rows that changed around it.';
COMMENT ON COLUMN halo.instance_info.app_version IS 'Halo application version, e.g. "2.236.133".';
COMMENT ON COLUMN halo.instance_info.app_name IS 'Application name Halo reports (HaloPSA, HaloITSM, ...).';
COMMENT ON COLUMN halo.instance_info.database_version IS 'Halo database version at the latest sighting.';
COMMENT ON COLUMN halo.instance_info.hosted_group IS 'Halo hosting group, e.g. "US16-Stable8" (trial tenants ride beta groups).';
COMMENT ON COLUMN halo.instance_info.first_seen_at IS 'When a pull first saw this version (our clock).';
COMMENT ON COLUMN halo.instance_info.last_seen_at IS 'When a pull last saw this version (our clock).';
COMMENT ON COLUMN halo.instance_info.raw IS 'The InstanceInfo object as last received at this version.';

ALTER TABLE halosync.runs ADD COLUMN halo_version text;
COMMENT ON COLUMN halosync.runs.halo_version IS 'Halo''s app_version when the run finished: the version seen last by GET /api/InstanceInfo, which successful pulls re-read at most hourly (halosync.instance_versions). NULL before the first successful read, and while the run has not finished.';

-- Attachments are read per ticket (Halo lists them only for a ticket_id): this remembers which ticket version
-- each read saw, so a ticket is re-read only after it changed.
CREATE TABLE halosync.attachment_reads (
    ticket_id   bigint PRIMARY KEY,
    last_update timestamptz,
    read_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE halosync.attachment_reads IS 'Tickets whose attachment metadata was read, with the ticket''s Halo last-update time at that read: written with the attachment rows, so a crash loses nothing and a ticket is read again only when it changed.';
COMMENT ON COLUMN halosync.attachment_reads.ticket_id IS 'Ticket (halo.tickets.id).';
COMMENT ON COLUMN halosync.attachment_reads.last_update IS 'halo.tickets.halo_updated_at when the attachments were read.';
COMMENT ON COLUMN halosync.attachment_reads.read_at IS 'When they were read.';

-- ---------------------------------------------------------------------------------------------------------
-- halo.changes lists every mirror table. Rather than spell the union out again (and drop the branches of a
-- migration numbered between), it is rebuilt from the catalogue: every table of schema halo with the change
-- markers, its key columns joined by "/" as record_key.
-- +goose StatementBegin
CREATE FUNCTION halosync.rebuild_changes(exclude text[] DEFAULT '{}') RETURNS void LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t     record;
    parts text[] := '{}';
BEGIN
    FOR t IN
        SELECT c.relname,
               (SELECT string_agg(format('%I::text', a.attname), ' || ''/'' || ' ORDER BY array_position(i.indkey, a.attnum))
                FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                WHERE i.indrelid = c.oid AND i.indisprimary) AS keyexpr
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'halo' AND c.relkind = 'r' AND NOT (c.relname = ANY (exclude))
          AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND NOT a.attisdropped
               AND a.attname IN ('change_xid', 'synced_at', 'halo_updated_at', 'deleted_at')) = 4
        ORDER BY c.relname
    LOOP
        parts := parts || format('SELECT %L::text AS entity, %s AS record_key, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.%I',
                                 t.relname, t.keyexpr, t.relname);
    END LOOP;
    EXECUTE 'CREATE OR REPLACE VIEW halo.changes AS ' || array_to_string(parts, ' UNION ALL ');
END
$$;
-- +goose StatementEnd
COMMENT ON FUNCTION halosync.rebuild_changes(text[]) IS 'Re-creates the view halo.changes as the union of every mirror table in schema halo (tables with change_xid, synced_at, halo_updated_at and deleted_at), but those in exclude. Migrations that add or drop mirror tables call it.';
REVOKE ALL ON FUNCTION halosync.rebuild_changes(text[]) FROM PUBLIC;
SELECT halosync.rebuild_changes();

-- ---------------------------------------------------------------------------------------------------------
GRANT SELECT ON halo.kb_articles, halo.organisations, halo.top_levels, halo.attachments, halo.slas, halo.categories,
    halo.outcomes, halo.instance_info, halo.projects, halo.project_tasks, halo.opportunities TO halosync_reader;
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'halosync_editor') THEN
        GRANT SELECT ON halo.kb_articles, halo.organisations, halo.top_levels, halo.attachments, halo.slas,
            halo.categories, halo.outcomes, halo.instance_info, halo.projects, halo.project_tasks,
            halo.opportunities TO halosync_editor;
        GRANT INSERT, UPDATE, DELETE ON halo.kb_articles, halo.projects, halo.project_tasks, halo.opportunities
            TO halosync_editor;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
SELECT halosync.rebuild_changes(ARRAY['kb_articles', 'organisations', 'top_levels', 'attachments', 'slas', 'categories', 'outcomes']);
DROP FUNCTION halosync.rebuild_changes(text[]);
DROP TABLE halosync.attachment_reads;
ALTER TABLE halosync.runs DROP COLUMN halo_version;
DROP VIEW halo.instance_info;
DROP TABLE halosync.instance_versions;
DELETE FROM halosync.writable_columns WHERE entity = 'kb_articles';
DELETE FROM halosync.outbox WHERE entity IN ('kb_articles');
DROP TABLE halo.outcomes, halo.categories, halo.slas, halo.attachments, halo.top_levels, halo.organisations,
    halo.kb_articles;
DROP VIEW halo.opportunities, halo.project_tasks, halo.projects;
DELETE FROM halosync.writable_columns WHERE entity = 'tickets' AND column_name IN ('parent_id', 'startdate',
    'deadlinedate', 'projecttimebudget', 'projectmoneybudget', 'oppvalue', 'oppconversionprobability',
    'oppcompanyname', 'oppcontactname', 'oppemailaddress');
DROP INDEX halo.tickets_parent_id_idx, halo.tickets_itil_requesttype_id_idx;
ALTER TABLE halo.tickets
    DROP COLUMN itil_requesttype_id, DROP COLUMN parent_id, DROP COLUMN attachment_count,
    DROP COLUMN third_party_id_string, DROP COLUMN startdate, DROP COLUMN deadlinedate,
    DROP COLUMN projecttimebudget, DROP COLUMN projectmoneybudget, DROP COLUMN projecttimeactual,
    DROP COLUMN projectmoneyactual, DROP COLUMN oppvalue, DROP COLUMN oppconversionprobability, DROP COLUMN oppprofit,
    DROP COLUMN oppcompanyname, DROP COLUMN oppcontactname, DROP COLUMN oppemailaddress, DROP COLUMN oppconverteddate,
    DROP COLUMN oppclosurecategory;
