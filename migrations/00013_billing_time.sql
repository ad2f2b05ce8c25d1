-- Billing and time (issue 18): appointments, time entries (/TimesheetEvent), timesheets, invoices with their
-- lines, items, quotes with their lines, suppliers.
--
-- Same conventions as 00001: typed columns named as Halo names the JSON field (only fields Halo sends in list
-- rows, per the Halo API notes on the other entities and Halo's published swagger), raw beside them, halo_updated_at,
-- synced_at, deleted_at, change_xid (00011), a COMMENT on every table and column.
--
-- Pushable (issue 18 item 4): appointments, items, suppliers, quotes get writable columns and the guard and
-- capture triggers of 00003/00008, like tickets and clients. Read-only: invoices and their lines (Halo's
-- invoices feed its accounting sync), quotes' lines, timesheets (computed by Halo per agent-day) and time
-- entries (their real id is never exposed, and a create without it failed on a live trial: time is logged
-- through actions). A local edit of a read-only table is refused by halosync.guard_readonly() with an error
-- that says so, for every role (halosync_editor is granted DML on them only so it sees that error rather
-- than a bare "permission denied").

-- +goose Up

-- ---------------------------------------------------------------------------------------------------------
-- halo.appointments
CREATE TABLE halo.appointments (
    id                    bigint PRIMARY KEY,
    subject               text,
    start_date            timestamptz,
    end_date              timestamptz,
    allday                boolean,
    agent_id              bigint,
    agent_name            text,
    client_id             bigint,
    client_name           text,
    site_id               bigint,
    site_name             text,
    user_id               bigint,
    user_name             text,
    ticket_id             bigint,
    appointment_type_name text,
    complete_status       bigint,
    is_task               boolean,
    is_private            boolean,
    recurring_master_id   text,
    online_meeting_url    text,
    raw                   jsonb NOT NULL DEFAULT '{}'::jsonb,
    halo_updated_at       timestamptz,
    synced_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at            timestamptz
);
CREATE INDEX appointments_agent_id_start_date_idx ON halo.appointments (agent_id, start_date);
CREATE INDEX appointments_start_date_idx ON halo.appointments (start_date);
CREATE INDEX appointments_ticket_id_idx ON halo.appointments (ticket_id);
COMMENT ON TABLE halo.appointments IS 'Halo appointments and tasks (GET /api/Appointment, Appointment_List rows): calendar entries of agents, optionally tied to a ticket, client, site or user. is_task tells tasks from appointments. Deleted appointments vanish from Halo''s list and get deleted_at after the next complete walk. Writable (see halosync.writable_columns): changes are pushed to Halo.';
COMMENT ON COLUMN halo.appointments.id IS 'Halo appointment id (primary key). Halo may answer an update with a new id (a recurring occurrence split off): the row then moves to the new id.';
COMMENT ON COLUMN halo.appointments.subject IS 'Subject line.';
COMMENT ON COLUMN halo.appointments.start_date IS 'Start (UTC).';
COMMENT ON COLUMN halo.appointments.end_date IS 'End (UTC).';
COMMENT ON COLUMN halo.appointments.allday IS 'True for an all-day appointment.';
COMMENT ON COLUMN halo.appointments.agent_id IS 'Agent whose calendar holds the appointment (halo.agents.id); NULL when none.';
COMMENT ON COLUMN halo.appointments.agent_name IS 'Agent name at the time of the last sync.';
COMMENT ON COLUMN halo.appointments.client_id IS 'Client (halo.clients.id); NULL when none.';
COMMENT ON COLUMN halo.appointments.client_name IS 'Client name at the time of the last sync.';
COMMENT ON COLUMN halo.appointments.site_id IS 'Site (halo.sites.id); NULL when none.';
COMMENT ON COLUMN halo.appointments.site_name IS 'Site name at the time of the last sync.';
COMMENT ON COLUMN halo.appointments.user_id IS 'End user (halo.users.id); NULL when none.';
COMMENT ON COLUMN halo.appointments.user_name IS 'End user name at the time of the last sync.';
COMMENT ON COLUMN halo.appointments.ticket_id IS 'Ticket the appointment belongs to (halo.tickets.id); NULL when none.';
COMMENT ON COLUMN halo.appointments.appointment_type_name IS 'Appointment type name as configured in Halo.';
COMMENT ON COLUMN halo.appointments.complete_status IS 'Completion status code as Halo sends it (0 = not completed; other values are the tenant''s completion statuses).';
COMMENT ON COLUMN halo.appointments.is_task IS 'True for a task (a to-do), false for an appointment.';
COMMENT ON COLUMN halo.appointments.is_private IS 'True when the appointment is private to its agent.';
COMMENT ON COLUMN halo.appointments.recurring_master_id IS 'Id of the recurring series this occurrence belongs to, as Halo sends it (a string); NULL for one-off appointments.';
COMMENT ON COLUMN halo.appointments.online_meeting_url IS 'Online meeting link (Teams and the like); NULL when none.';

-- halo.timesheet_events (time entries)
CREATE TABLE halo.timesheet_events (
    entry_key       text PRIMARY KEY,
    agent_id        bigint,
    start_date      timestamptz,
    end_date        timestamptz,
    timetaken       numeric,
    ticket_id       bigint,
    action_number   bigint,
    event_type      bigint,
    subject         text,
    note            text,
    customer        text,
    client_id       bigint,
    charge_type_name text,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE INDEX timesheet_events_start_date_idx ON halo.timesheet_events (start_date);
CREATE INDEX timesheet_events_agent_id_start_date_idx ON halo.timesheet_events (agent_id, start_date);
CREATE INDEX timesheet_events_ticket_id_action_number_idx ON halo.timesheet_events (ticket_id, action_number);
COMMENT ON TABLE halo.timesheet_events IS 'Time entries (GET /api/TimesheetEvent): every block of time an agent logged, ticket work and other events (holidays, travel, admin). Halo sends id 0 on every row and never exposes the real id, so the key is entry_key, made from what identifies an entry (see its comment). Read by windows of start_date (Halo ignores paging here and needs datetime bounds); read-only: log time through halo.actions (timetaken) instead. For the hours of ticket actions with their billable flag see also the view halo.time_entries.';
COMMENT ON COLUMN halo.timesheet_events.entry_key IS 'Primary key made by halosync, since Halo''s id is always 0: ''ticket/<ticket_id>/<action_number>'' for time logged on a ticket action (join halo.actions ON (ticket_id, id) = (ticket_id, action_number)), else ''agent/<agent_id>/<start_date, UTC RFC 3339>/<event_type>''. Two entries of one agent of the same type starting at the same second are one row.';
COMMENT ON COLUMN halo.timesheet_events.agent_id IS 'Agent who logged the time (halo.agents.id).';
COMMENT ON COLUMN halo.timesheet_events.start_date IS 'Start of the logged time (UTC).';
COMMENT ON COLUMN halo.timesheet_events.end_date IS 'End of the logged time (UTC).';
COMMENT ON COLUMN halo.timesheet_events.timetaken IS 'Hours logged (decimal).';
COMMENT ON COLUMN halo.timesheet_events.ticket_id IS 'Ticket the time was logged on (halo.tickets.id); NULL for time not on a ticket.';
COMMENT ON COLUMN halo.timesheet_events.action_number IS 'Action of that ticket that carries the time (halo.actions.id within ticket_id); NULL when none.';
COMMENT ON COLUMN halo.timesheet_events.event_type IS 'Kind of event as Halo codes it (0 = time on a ticket or an appointment; other values are the tenant''s non-ticket event types).';
COMMENT ON COLUMN halo.timesheet_events.subject IS 'Subject: the ticket summary or the event''s title.';
COMMENT ON COLUMN halo.timesheet_events.note IS 'Note entered with the time.';
COMMENT ON COLUMN halo.timesheet_events.customer IS 'Client name as Halo shows it on the entry (a name, not an id).';
COMMENT ON COLUMN halo.timesheet_events.client_id IS 'Client (halo.clients.id) when Halo sends it (published schema; not seen in live list rows); NULL otherwise: join halo.tickets on ticket_id for the client of ticket time.';
COMMENT ON COLUMN halo.timesheet_events.charge_type_name IS 'Charge type name of the time (the tenant''s billing category), as Halo sends it.';

-- halo.timesheets
CREATE TABLE halo.timesheets (
    agent_id         bigint NOT NULL,
    date             timestamptz NOT NULL,
    agent_name       text,
    target_hours     numeric,
    actual_hours     numeric,
    chargeable_hours numeric,
    work_hours       numeric,
    unlogged_hours   numeric,
    workdayid        bigint,
    raw              jsonb NOT NULL,
    halo_updated_at  timestamptz,
    synced_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    PRIMARY KEY (agent_id, date)
);
CREATE INDEX timesheets_date_idx ON halo.timesheets (date);
COMMENT ON TABLE halo.timesheets IS 'Timesheets (GET /api/Timesheet): one row per agent and day with the hours Halo computed. Halo sends id 0 on every row, so the key is (agent_id, date). Read by windows of date; read-only (Halo computes them from the time entries in halo.timesheet_events).';
COMMENT ON COLUMN halo.timesheets.agent_id IS 'Agent (halo.agents.id). Part of the primary key.';
COMMENT ON COLUMN halo.timesheets.date IS 'The day, as Halo sends it (midnight of that day, read as UTC). Part of the primary key.';
COMMENT ON COLUMN halo.timesheets.agent_name IS 'Agent name at the time of the last sync.';
COMMENT ON COLUMN halo.timesheets.target_hours IS 'Hours the agent was expected to work that day.';
COMMENT ON COLUMN halo.timesheets.actual_hours IS 'Hours logged that day.';
COMMENT ON COLUMN halo.timesheets.chargeable_hours IS 'Chargeable hours logged that day.';
COMMENT ON COLUMN halo.timesheets.work_hours IS 'Working hours of the agent''s workday that day.';
COMMENT ON COLUMN halo.timesheets.unlogged_hours IS 'Working hours not covered by logged time.';
COMMENT ON COLUMN halo.timesheets.workdayid IS 'Workday (working-hours profile) id the day was measured against.';

-- halo.invoices
CREATE TABLE halo.invoices (
    id                      bigint PRIMARY KEY,
    invoicenumber           text,
    thirdpartyinvoicenumber text,
    client_id               bigint,
    client_name             text,
    invoice_date            timestamptz,
    duedate                 timestamptz,
    posted                  boolean,
    dateposted              timestamptz,
    datepaid                timestamptz,
    paymentstatus           bigint,
    amountpaid              numeric,
    amountdue               numeric,
    total                   numeric,
    tax_total               numeric,
    contract_id             bigint,
    ticket_id               bigint,
    recurring_invoice_id    bigint,
    voided                  boolean,
    raw                     jsonb NOT NULL,
    halo_updated_at         timestamptz,
    synced_at               timestamptz NOT NULL DEFAULT now(),
    deleted_at              timestamptz
);
CREATE INDEX invoices_client_id_idx ON halo.invoices (client_id);
CREATE INDEX invoices_invoice_date_idx ON halo.invoices (invoice_date);
COMMENT ON TABLE halo.invoices IS 'Invoices (GET /api/Invoice, InvoiceHeader rows), with their lines in halo.invoice_lines. Read-only: Halo''s invoices feed its accounting integrations, so halosync refuses local edits; change invoices in Halo.';
COMMENT ON COLUMN halo.invoices.id IS 'Halo invoice id (primary key; halo.invoice_lines.ihid).';
COMMENT ON COLUMN halo.invoices.invoicenumber IS 'Invoice number as shown on the invoice.';
COMMENT ON COLUMN halo.invoices.thirdpartyinvoicenumber IS 'Invoice number in the accounting system Halo syncs with; NULL when none.';
COMMENT ON COLUMN halo.invoices.client_id IS 'Client invoiced (halo.clients.id).';
COMMENT ON COLUMN halo.invoices.client_name IS 'Client name at the time of the last sync.';
COMMENT ON COLUMN halo.invoices.invoice_date IS 'Invoice date (UTC).';
COMMENT ON COLUMN halo.invoices.duedate IS 'Payment due date (UTC); NULL when unset.';
COMMENT ON COLUMN halo.invoices.posted IS 'True once the invoice was posted (sent to accounts).';
COMMENT ON COLUMN halo.invoices.dateposted IS 'When it was posted (UTC); NULL when not posted.';
COMMENT ON COLUMN halo.invoices.datepaid IS 'When it was paid (UTC); NULL when unpaid or unknown.';
COMMENT ON COLUMN halo.invoices.paymentstatus IS 'Payment status code as Halo sends it (the codes Halo''s paymentstatuses filter takes).';
COMMENT ON COLUMN halo.invoices.amountpaid IS 'Amount paid so far, in the invoice currency.';
COMMENT ON COLUMN halo.invoices.amountdue IS 'Amount still due, in the invoice currency (0 when paid).';
COMMENT ON COLUMN halo.invoices.total IS 'Invoice total including tax.';
COMMENT ON COLUMN halo.invoices.tax_total IS 'Tax part of the total.';
COMMENT ON COLUMN halo.invoices.contract_id IS 'Contract invoiced (halo.contracts.id); NULL when none.';
COMMENT ON COLUMN halo.invoices.ticket_id IS 'Ticket invoiced (halo.tickets.id); NULL when none.';
COMMENT ON COLUMN halo.invoices.recurring_invoice_id IS 'Recurring invoice this invoice was raised from; NULL when none.';
COMMENT ON COLUMN halo.invoices.voided IS 'True when the invoice was voided (still a live row here; not a deletion).';

-- halo.invoice_lines
CREATE TABLE halo.invoice_lines (
    ihid                  bigint NOT NULL,
    id                    bigint NOT NULL,
    item_code             text,
    item_shortdescription text,
    qty_order             numeric,
    unit_price            numeric,
    unit_cost             numeric,
    net_amount            numeric,
    tax_amount            numeric,
    total_price           numeric,
    nominal_code          text,
    tax_code              text,
    ticket_id             bigint,
    contract_id           bigint,
    raw                   jsonb NOT NULL,
    halo_updated_at       timestamptz,
    synced_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at            timestamptz,
    PRIMARY KEY (ihid, id)
);
CREATE INDEX invoice_lines_ticket_id_idx ON halo.invoice_lines (ticket_id);
COMMENT ON TABLE halo.invoice_lines IS 'Invoice lines (InvoiceDetail), read with their invoice (includelines=true). A line gone from its invoice gets deleted_at when the invoice is next stored; every line of a deleted invoice is tombstoned with it. Read-only, like halo.invoices.';
COMMENT ON COLUMN halo.invoice_lines.ihid IS 'Invoice the line belongs to (halo.invoices.id). Part of the primary key.';
COMMENT ON COLUMN halo.invoice_lines.id IS 'Halo line id. Part of the primary key.';
COMMENT ON COLUMN halo.invoice_lines.item_code IS 'Item code of the line (halo.items.name of the item sold, as Halo prints it).';
COMMENT ON COLUMN halo.invoice_lines.item_shortdescription IS 'Line description.';
COMMENT ON COLUMN halo.invoice_lines.qty_order IS 'Quantity.';
COMMENT ON COLUMN halo.invoice_lines.unit_price IS 'Price per unit, excluding tax.';
COMMENT ON COLUMN halo.invoice_lines.unit_cost IS 'Cost per unit.';
COMMENT ON COLUMN halo.invoice_lines.net_amount IS 'Line amount excluding tax.';
COMMENT ON COLUMN halo.invoice_lines.tax_amount IS 'Tax on the line.';
COMMENT ON COLUMN halo.invoice_lines.total_price IS 'Line amount including tax.';
COMMENT ON COLUMN halo.invoice_lines.nominal_code IS 'Nominal (ledger) code.';
COMMENT ON COLUMN halo.invoice_lines.tax_code IS 'Tax code.';
COMMENT ON COLUMN halo.invoice_lines.ticket_id IS 'Ticket the line bills (halo.tickets.id); NULL when none.';
COMMENT ON COLUMN halo.invoice_lines.contract_id IS 'Contract the line bills (halo.contracts.id); NULL when none.';

-- halo.items
CREATE TABLE halo.items (
    id                bigint PRIMARY KEY,
    name              text,
    description       text,
    internalreference text,
    externalreference text,
    baseprice         numeric,
    costprice         numeric,
    recurringprice    numeric,
    recurringcost     numeric,
    isrecurringitem   boolean,
    taxable           boolean,
    assetgroup_id     bigint,
    supplier_id       bigint,
    quantity_in_stock numeric,
    dont_track_stock  boolean,
    datecreated       timestamptz,
    raw               jsonb NOT NULL DEFAULT '{}'::jsonb,
    halo_updated_at   timestamptz,
    synced_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
CREATE INDEX items_supplier_id_idx ON halo.items (supplier_id);
COMMENT ON TABLE halo.items IS 'Items: products and services sold and stocked (GET /api/Item), inactive ones included (Halo hides them unless asked). Writable (see halosync.writable_columns): changes are pushed to Halo.';
COMMENT ON COLUMN halo.items.id IS 'Halo item id (primary key).';
COMMENT ON COLUMN halo.items.name IS 'Item name.';
COMMENT ON COLUMN halo.items.description IS 'Description.';
COMMENT ON COLUMN halo.items.internalreference IS 'Internal reference (SKU or code).';
COMMENT ON COLUMN halo.items.externalreference IS 'External reference (e.g. the supplier''s code).';
COMMENT ON COLUMN halo.items.baseprice IS 'Sale price per unit.';
COMMENT ON COLUMN halo.items.costprice IS 'Cost price per unit.';
COMMENT ON COLUMN halo.items.recurringprice IS 'Recurring sale price (for recurring items).';
COMMENT ON COLUMN halo.items.recurringcost IS 'Recurring cost (for recurring items).';
COMMENT ON COLUMN halo.items.isrecurringitem IS 'True for a recurring (subscription) item.';
COMMENT ON COLUMN halo.items.taxable IS 'True when tax applies.';
COMMENT ON COLUMN halo.items.assetgroup_id IS 'Asset group (item group) id; NULL when none.';
COMMENT ON COLUMN halo.items.supplier_id IS 'Default supplier (halo.suppliers.id); NULL when none.';
COMMENT ON COLUMN halo.items.quantity_in_stock IS 'Quantity in stock, as Halo counts it.';
COMMENT ON COLUMN halo.items.dont_track_stock IS 'True when Halo does not track stock for the item.';
COMMENT ON COLUMN halo.items.datecreated IS 'When the item was created in Halo (UTC; NULL when unset or a 1900 sentinel).';

-- halo.quotes
CREATE TABLE halo.quotes (
    id              bigint PRIMARY KEY,
    title           text,
    client_id       bigint,
    client_name     text,
    status          bigint,
    date            timestamptz,
    agent_id        bigint,
    approvalstate   bigint,
    raw             jsonb NOT NULL DEFAULT '{}'::jsonb,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
CREATE INDEX quotes_client_id_idx ON halo.quotes (client_id);
COMMENT ON TABLE halo.quotes IS 'Quotations (GET /api/Quotation), with their lines in halo.quote_lines when Halo sends them (includelines). Halo''s list rows carry no total: sum the lines. Writable (see halosync.writable_columns): changes are pushed to Halo.';
COMMENT ON COLUMN halo.quotes.id IS 'Halo quotation id (primary key; halo.quote_lines.qhid).';
COMMENT ON COLUMN halo.quotes.title IS 'Quote title.';
COMMENT ON COLUMN halo.quotes.client_id IS 'Client quoted (halo.clients.id).';
COMMENT ON COLUMN halo.quotes.client_name IS 'Client name at the time of the last sync.';
COMMENT ON COLUMN halo.quotes.status IS 'Quote status code as Halo sends it (the codes Halo''s quote_status filter takes).';
COMMENT ON COLUMN halo.quotes.date IS 'Quote date (UTC).';
COMMENT ON COLUMN halo.quotes.agent_id IS 'Agent who owns the quote (halo.agents.id); NULL when none.';
COMMENT ON COLUMN halo.quotes.approvalstate IS 'Approval state code as Halo sends it.';

-- halo.quote_lines
CREATE TABLE halo.quote_lines (
    qhid            bigint NOT NULL,
    id              bigint NOT NULL,
    item_id         bigint,
    name            text,
    baseprice       numeric,
    costprice       numeric,
    net_total       numeric,
    raw             jsonb NOT NULL,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    PRIMARY KEY (qhid, id)
);
COMMENT ON TABLE halo.quote_lines IS 'Quotation lines (QuotationDetail), read with their quote when Halo sends them (includelines=true; whether live lists honour it is unknown: a quote whose row came without lines keeps its stored lines). A line gone from its quote gets deleted_at when the quote is next stored. Read-only.';
COMMENT ON COLUMN halo.quote_lines.qhid IS 'Quote the line belongs to (halo.quotes.id). Part of the primary key.';
COMMENT ON COLUMN halo.quote_lines.id IS 'Halo line id. Part of the primary key.';
COMMENT ON COLUMN halo.quote_lines.item_id IS 'Item quoted (halo.items.id); NULL for a free-text line.';
COMMENT ON COLUMN halo.quote_lines.name IS 'Line name (the item''s name unless changed on the quote).';
COMMENT ON COLUMN halo.quote_lines.baseprice IS 'Sale price per unit.';
COMMENT ON COLUMN halo.quote_lines.costprice IS 'Cost price per unit.';
COMMENT ON COLUMN halo.quote_lines.net_total IS 'Line total excluding tax.';

-- halo.suppliers
CREATE TABLE halo.suppliers (
    id              bigint PRIMARY KEY,
    name            text,
    toplevel_id     bigint,
    toplevel_name   text,
    contact_name    text,
    email_address   text,
    phone_number    text,
    mobile          text,
    website         text,
    inactive        boolean,
    raw             jsonb NOT NULL DEFAULT '{}'::jsonb,
    halo_updated_at timestamptz,
    synced_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
COMMENT ON TABLE halo.suppliers IS 'Suppliers (GET /api/Supplier, Halo''s Company schema), inactive ones included (Halo hides them unless asked). List rows carry no modification time, so halo_updated_at stays NULL and every pull compares content. Writable (see halosync.writable_columns): changes are pushed to Halo.';
COMMENT ON COLUMN halo.suppliers.id IS 'Halo supplier id (primary key).';
COMMENT ON COLUMN halo.suppliers.name IS 'Supplier name.';
COMMENT ON COLUMN halo.suppliers.toplevel_id IS 'Top level the supplier is filed under; NULL when none.';
COMMENT ON COLUMN halo.suppliers.toplevel_name IS 'Name of that top level.';
COMMENT ON COLUMN halo.suppliers.contact_name IS 'Main contact''s name.';
COMMENT ON COLUMN halo.suppliers.email_address IS 'Email address.';
COMMENT ON COLUMN halo.suppliers.phone_number IS 'Phone number.';
COMMENT ON COLUMN halo.suppliers.mobile IS 'Mobile number.';
COMMENT ON COLUMN halo.suppliers.website IS 'Website.';
COMMENT ON COLUMN halo.suppliers.inactive IS 'True when the supplier is marked inactive in Halo (not a deletion).';

-- ---------------------------------------------------------------------------------------------------------
-- Bookkeeping columns, as 00001 and 00011 give every mirror table.
-- +goose StatementBegin
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('appointments', 'last_modified'), ('timesheet_events', 'none; always NULL'),
        ('timesheets', 'none; always NULL'), ('invoices', 'last_modified'),
        ('invoice_lines', 'none: the invoice''s last_modified'), ('items', 'lastmodified'),
        ('quotes', 'last_update_time'), ('quote_lines', 'none: the quote''s last_update_time'),
        ('suppliers', 'last_modified, which only GET by id carries: set by a push, NULL after a list pull')) AS v(tbl, src)
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
            'When halosync found the record deleted in Halo (gone from a complete walk of Halo''s list). NULL = live. The row keeps its last known values; cleared if the record reappears. Filter deleted_at IS NULL for current data.');
        EXECUTE format('ALTER TABLE halo.%I ADD COLUMN change_xid xid8', t.tbl);
        EXECUTE format('COMMENT ON COLUMN halo.%I.change_xid IS %L', t.tbl,
            'Id of the transaction that last inserted, changed or tombstoned this row (pg_current_xact_id()). '
            || 'To follow changes without missing any: with each read also take pg_snapshot_xmin(pg_current_snapshot()) in the same statement, '
            || 'and next time read WHERE change_xid >= that value (rows may repeat, none is missed). Indexed.');
        EXECUTE format('CREATE INDEX %I ON halo.%I (change_xid)', t.tbl || '_change_xid_idx', t.tbl);
        -- Named to fire after every other BEFORE trigger (they fire in name order), as in 00011.
        EXECUTE format('CREATE TRIGGER zz_halosync_stamp_change BEFORE INSERT OR UPDATE ON halo.%I FOR EACH ROW EXECUTE FUNCTION halosync.stamp_change()', t.tbl);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- ---------------------------------------------------------------------------------------------------------
-- Pushable tables: the columns a local edit may change (pushed under the same Halo field name), and the
-- guard and capture triggers of 00003/00008.
INSERT INTO halosync.writable_columns (entity, column_name)
SELECT e, unnest(c) FROM (VALUES
    ('appointments', ARRAY['subject', 'start_date', 'end_date', 'allday', 'agent_id', 'client_id', 'site_id', 'user_id',
                           'ticket_id', 'complete_status', 'is_private']),
    ('items', ARRAY['name', 'description', 'internalreference', 'externalreference', 'baseprice', 'costprice',
                    'recurringprice', 'recurringcost', 'isrecurringitem', 'taxable', 'assetgroup_id', 'supplier_id',
                    'dont_track_stock']),
    ('quotes', ARRAY['title', 'client_id', 'date', 'agent_id']),
    ('suppliers', ARRAY['name', 'toplevel_id', 'contact_name', 'email_address', 'phone_number', 'mobile', 'website',
                        'inactive'])
) AS v(e, c);

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['appointments', 'items', 'quotes', 'suppliers'] LOOP
        EXECUTE format('CREATE TRIGGER halosync_guard BEFORE INSERT OR UPDATE OR DELETE ON halo.%I FOR EACH ROW EXECUTE FUNCTION halosync.guard()', t);
        EXECUTE format('CREATE TRIGGER halosync_capture AFTER INSERT OR UPDATE ON halo.%I FOR EACH ROW EXECUTE FUNCTION halosync.capture()', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- ---------------------------------------------------------------------------------------------------------
-- Read-only tables: any INSERT, UPDATE or DELETE but halosync's own is refused, whoever makes it (the guard
-- of the pushable tables would turn a DELETE into a pushed delete, which must never reach Halo's invoices).
-- +goose StatementBegin
CREATE FUNCTION halosync.guard_readonly() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF halosync.is_sync() THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'halosync: %.% is read-only: halosync mirrors it from Halo and never pushes changes to it', TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = CASE TG_TABLE_NAME
                  WHEN 'invoices' THEN 'Halo''s invoices feed its accounting integrations; change them in Halo.'
                  WHEN 'invoice_lines' THEN 'Halo''s invoices feed its accounting integrations; change them in Halo.'
                  WHEN 'timesheets' THEN 'Halo computes timesheets from the time entries.'
                  WHEN 'timesheet_events' THEN 'Halo never exposes a time entry''s id; log time through halo.actions (timetaken).'
                  ELSE 'Change it in Halo.' END,
              HINT = 'Writable tables and columns are listed in halosync.writable_columns.';
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION halosync.guard_readonly() FROM PUBLIC;
COMMENT ON FUNCTION halosync.guard_readonly() IS 'BEFORE statement trigger on the read-only halo tables (invoices, invoice_lines, quote_lines, timesheets, timesheet_events): refuses every INSERT, UPDATE and DELETE except halosync''s own (halosync.is_sync) with an error saying the table is read-only and why.';

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['invoices', 'invoice_lines', 'quote_lines', 'timesheets', 'timesheet_events'] LOOP
        EXECUTE format('CREATE TRIGGER halosync_readonly BEFORE INSERT OR UPDATE OR DELETE ON halo.%I FOR EACH STATEMENT EXECUTE FUNCTION halosync.guard_readonly()', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- ---------------------------------------------------------------------------------------------------------
-- halo.changes (00011) lists the new tables too. record_key is written as halosync names records elsewhere
-- (rejects, outbox): key values joined by "/", times in RFC 3339 UTC.
CREATE OR REPLACE VIEW halo.changes AS
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
UNION ALL SELECT 'priorities', id, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.priorities
UNION ALL SELECT 'appointments', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.appointments
UNION ALL SELECT 'timesheet_events', entry_key, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.timesheet_events
UNION ALL SELECT 'timesheets', agent_id::text || '/' || to_char(date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), change_xid, synced_at, halo_updated_at, deleted_at FROM halo.timesheets
UNION ALL SELECT 'invoices', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.invoices
UNION ALL SELECT 'invoice_lines', ihid::text || '/' || id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.invoice_lines
UNION ALL SELECT 'items', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.items
UNION ALL SELECT 'quotes', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.quotes
UNION ALL SELECT 'quote_lines', qhid::text || '/' || id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.quote_lines
UNION ALL SELECT 'suppliers', id::text, change_xid, synced_at, halo_updated_at, deleted_at FROM halo.suppliers;
COMMENT ON COLUMN halo.changes.record_key IS 'Record key as text: the id; for a composite key its values joined by "/" (actions "ticket_id/id", invoice lines "ihid/id", timesheets "agent_id/date" with the date in RFC 3339 UTC); time entries their entry_key.';

-- ---------------------------------------------------------------------------------------------------------
-- Roles: readers read everything; editors may change the pushable tables, and get the read-only error (not
-- a bare "permission denied") on the others.
GRANT SELECT ON halo.appointments, halo.timesheet_events, halo.timesheets, halo.invoices, halo.invoice_lines,
    halo.items, halo.quotes, halo.quote_lines, halo.suppliers TO halosync_reader, halosync_editor;
GRANT INSERT, UPDATE, DELETE ON halo.appointments, halo.items, halo.quotes, halo.suppliers,
    halo.timesheet_events, halo.timesheets, halo.invoices, halo.invoice_lines, halo.quote_lines TO halosync_editor;

-- +goose Down
CREATE OR REPLACE VIEW halo.changes AS
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
COMMENT ON COLUMN halo.changes.record_key IS 'Record key as text: the id, or "ticket_id/id" for actions.';
DELETE FROM halosync.writable_columns WHERE entity IN ('appointments', 'items', 'quotes', 'suppliers');
DELETE FROM halosync.outbox WHERE entity IN ('appointments', 'items', 'quotes', 'suppliers');
DROP TABLE halo.appointments, halo.timesheet_events, halo.timesheets, halo.invoices, halo.invoice_lines,
    halo.items, halo.quotes, halo.quote_lines, halo.suppliers;
DROP FUNCTION halosync.guard_readonly();
