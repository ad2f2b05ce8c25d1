package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/halosync/halosync/halo"
	"github.com/halosync/halosync/internal/entity"
	hsync "github.com/halosync/halosync/sync"
)

// checkResult is one line of `halosync check`.
type checkResult struct {
	Check   string `json:"check"`
	Status  string `json:"status"` // OK, WARN, FAIL, SKIP
	Rows    *int   `json:"rows,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Problem string `json:"problem,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

// probe makes one cheap request for an entity (page_size=1, paged even where a list per parent would
// not be) and returns how many rows Halo says the API agent sees.
func probe(ctx context.Context, c *halo.Client, e *entity.Entity) (int, error) {
	opts := &halo.ListOptions{PageSize: 1, Paged: true}
	if e.Paging == entity.DateBounded {
		// never unbounded: Halo would answer every row it has (time entries); the last day will do
		now := time.Now().UTC()
		opts.Params = url.Values{e.Bounds.From: {halo.FormatQueryTime(now.Add(-24 * time.Hour))}, e.Bounds.To: {halo.FormatQueryTime(now)}}
	}
	for page, err := range e.List(ctx, c, opts) {
		if err != nil {
			return 0, err
		}
		n := len(page.Rows) + len(page.Bad)
		if page.RecordCount > n {
			n = page.RecordCount
		}
		return n, nil
	}
	return 0, nil
}

func newCheckCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the Halo connection: configuration, token, then one cheap request per entity, with fixes",
		Long: "Validate the Halo connection the way the setup guides do: the configuration, a token from the\n" +
			"authorisation server, then one request per entity (page_size=1). Each line says OK or the problem\n" +
			"and how to fix it (host form, client secret, scope, the API agent's permissions). Needs no database.\n" +
			"Exits non-zero when any check fails.",
		Example: "  halosync check\n  halosync check --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			results := runChecks(cmd.Context())
			out := cmd.OutOrStdout()
			if asJSON {
				if err := printJSON(out, results); err != nil {
					return err
				}
			} else {
				printChecks(out, results)
			}
			failed := 0
			for _, r := range results {
				if r.Status == "FAIL" {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("check failed: %d problem(s), see above", failed)
			}
			return nil
		},
	}
	addJSONFlag(cmd, &asJSON)
	return cmd
}

func runChecks(ctx context.Context) []checkResult {
	var res []checkResult
	cfg, err := loadConfig()
	if err != nil {
		return append(res, checkResult{Check: "config", Status: "FAIL", Problem: err.Error(), Fix: "fix the variable named above (halosync config lists them all)"})
	}
	hc, err := cfg.haloConfig()
	if err != nil {
		r := checkResult{Check: "config", Status: "FAIL", Problem: err.Error()}
		if strings.HasPrefix(err.Error(), "HALO_RESOURCE_SERVER") || strings.HasPrefix(err.Error(), "HALO_AUTH_SERVER") {
			r.Fix = "set HALO_RESOURCE_SERVER to your Halo web address, as in the browser: acme.halopsa.com or https://acme.halopsa.com (https; /api is optional)"
		}
		return append(res, r)
	}
	hc.HTTPClient = &http.Client{Timeout: cfg.HaloTimeout}
	c, err := halo.New(hc)
	if err != nil {
		return append(res, checkResult{Check: "config", Status: "FAIL", Problem: err.Error()})
	}
	detail := fmt.Sprintf("%s (token URL %s/token, scope %q", hc.BaseURL, hc.AuthURL, hc.Scope)
	if hc.Tenant != "" {
		detail += ", tenant " + hc.Tenant
	}
	res = append(res, checkResult{Check: "config", Status: "OK", Detail: detail + ")"})

	if err := c.Authenticate(ctx); err != nil {
		problem, fix := diagnose(err, "token", hc)
		res = append(res, checkResult{Check: "token", Status: "FAIL", Problem: problem, Fix: fix})
		for _, e := range statusEntities() {
			res = append(res, checkResult{Check: e, Status: "SKIP", Detail: "no token"})
		}
		return res
	}
	res = append(res, checkResult{Check: "token", Status: "OK", Detail: "issued to client " + hc.ClientID})

	for _, e := range entity.All() {
		if e.Nested != "" {
			// read inside its parent's rows: no endpoint of its own to probe
			res = append(res, checkResult{Check: e.Name, Status: "OK", Detail: fmt.Sprintf("read with %s (in their %q)", e.Parent, e.Nested)})
			continue
		}
		n, err := probe(ctx, c, e)
		r := checkResult{Check: e.Name}
		switch {
		case err == nil && n == 0 && e.Parent == "":
			r.Status, r.Rows = "WARN", &n
			r.Problem = "0 records visible to the API agent"
			r.Fix = permissionFix(e.Name, true)
		case err == nil:
			r.Status, r.Rows, r.Detail = "OK", &n, fmt.Sprintf("%d visible", n)
		case e.ParentParam != "" && halo.Classify(err).Class == halo.ClassRejected:
			r.Status = "OK"
			r.Detail = fmt.Sprintf("bulk listing refused by this Halo; %s are read per %s (one request per changed %s)",
				e.Name, strings.TrimSuffix(e.Parent, "s"), strings.TrimSuffix(e.Parent, "s"))
		default:
			r.Status = "FAIL"
			r.Problem, r.Fix = diagnose(err, e.Name, hc)
		}
		res = append(res, r)
	}
	return append(res, markerCheck(ctx, c, cfg, res))
}

// markerCheck says whether the ticket field that correlates creates (HALOSYNC_CREATE_MARKER) is already
// written by someone else on this tenant: then a crashed create could not be told apart and would be
// posted again.
func markerCheck(ctx context.Context, c *halo.Client, cfg *Config, res []checkResult) checkResult {
	r := checkResult{Check: "create marker"}
	for _, prev := range res {
		if prev.Check == entity.Tickets.Name && prev.Status == "FAIL" {
			r.Status, r.Detail = "SKIP", "tickets cannot be read"
			return r
		}
	}
	marker, _ := hsync.ParseCreateMarker(cfg.CreateMarker) // validated by loadConfig
	foreign, scanned, err := (&hsync.Pusher{Halo: c, Marker: marker}).MarkerUse(ctx)
	switch {
	case err != nil:
		r.Status = "FAIL"
		r.Problem, r.Fix = diagnose(err, entity.Tickets.Name, halo.Config{})
	case foreign > 0:
		r.Status = "WARN"
		r.Problem = fmt.Sprintf("%s is already used: %d of the %d newest tickets carry a value halosync did not write", marker, foreign, scanned)
		r.Fix = "set HALOSYNC_CREATE_MARKER to a ticket field nobody else writes, e.g. a custom field made for halosync (customfield:<id>); until then a ticket create interrupted by a crash may be found wrongly or posted twice"
	default:
		r.Status = "OK"
		r.Detail = fmt.Sprintf("%s unused by the %d newest tickets: a ticket create interrupted by a crash is found by it", marker, scanned)
	}
	return r
}

// diagnose turns an error into a problem and its fix, in the setup guides' words, from halo.Classify's
// Cause; a failure with no answer from Halo is told apart further by what the network said.
func diagnose(err error, entity string, hc halo.Config) (problem, fix string) {
	problem = err.Error()
	v := halo.Classify(err)
	switch v.Cause {
	case halo.CauseTokenRefused:
		switch v.Code {
		case "invalid_client":
			return problem, "the client ID or secret is wrong: copy HALO_CLIENT_ID and HALO_CLIENT_SECRET again from Configuration > Integrations > HaloPSA API > your application (Authentication Method \"Client ID and Secret (Services)\"); the secret is shown only once, so generate a new one if in doubt"
		case "invalid_scope":
			return problem, "HALO_SCOPE names a scope Halo does not know (there is no read:actions or read:sites: actions come with :tickets, sites with :customers); set HALO_SCOPE=all"
		case "unauthorized_client", "unsupported_grant_type":
			return problem, "set the API application's Authentication Method to \"Client ID and Secret (Services)\" (client credentials)"
		case "invalid_request":
			return problem, "the token request was refused as malformed; for a Halo-hosted instance check HALO_TENANT (the tenant name, e.g. acme), for on-premise set HALO_ON_PREMISE=true"
		}
		return problem, "check HALO_CLIENT_ID, HALO_CLIENT_SECRET, HALO_SCOPE=all and, for Halo-hosted instances, HALO_TENANT"
	case halo.CauseNoTokenEndpoint:
		return fmt.Sprintf("no OAuth token endpoint at %s/token (HTTP %d)", hc.AuthURL, v.Status),
			"HALO_RESOURCE_SERVER must be the Halo web address (https://acme.halopsa.com, not a /api or /auth URL); if the authorisation server is elsewhere set HALO_AUTH_SERVER (see Configuration > Integrations > HaloPSA API)"
	case halo.CauseUnauthorized:
		return "Halo issued a token but the API refuses it (HTTP 401)",
			"the token has no usable scope: set HALO_SCOPE=all and, in the API application's Permissions tab, allow read access to this area (" + entity + ")"
	case halo.CauseForbidden:
		return fmt.Sprintf("no permission to read %s (HTTP 403)", entity), permissionFix(entity, false)
	case halo.CauseNotFound:
		return fmt.Sprintf("Halo has no such endpoint (HTTP 404 on %s)", v.Path),
			"HALO_RESOURCE_SERVER points at the wrong place: use the Halo web address (https://acme.halopsa.com), with or without /api"
	case halo.CauseRateLimited:
		return "Halo rate-limited the check (HTTP 429)", "wait five minutes (Halo's window is a rolling 5 minutes) and run the check again; if workers run, they share the budget"
	case halo.CauseUnavailable, halo.CauseGatewayTimeout, halo.CauseServerError:
		return fmt.Sprintf("Halo answered HTTP %d", v.Status), "a Halo-side failure: try again later; if it persists, check Halo's status page or its logs"
	case halo.CauseRejected:
		return problem, "Halo refused the request; check the message above and the API agent's permissions"
	}
	return networkProblem(err, problem)
}

// networkProblem explains a failure that got no answer from Halo by what the network layer said: not a
// classification of Halo's answer (halo.Classify has none to read), only the words of the fix.
func networkProblem(err error, problem string) (string, string) {
	var (
		dns   *net.DNSError
		opErr *net.OpError
	)
	switch {
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot resolve %s", dns.Name), "check HALO_RESOURCE_SERVER: it must be your Halo web address such as acme.halopsa.com"
	case errors.As(err, &opErr):
		return "cannot connect to Halo: " + opErr.Err.Error(), "check HALO_RESOURCE_SERVER (host and port), the network, and any proxy (HTTPS_PROXY)"
	case errors.Is(err, context.DeadlineExceeded):
		return "Halo did not answer in time", "check the network path to Halo, or raise HALO_TIMEOUT"
	}
	if strings.Contains(problem, "certificate") || strings.Contains(problem, "tls") {
		return problem, "TLS failed: use the https address Halo serves with a valid certificate (HALO_RESOURCE_SERVER)"
	}
	return problem, "check HALO_RESOURCE_SERVER and the network"
}

// permissionFix is the setup guides' advice for an entity the API agent cannot (or does not) see.
func permissionFix(name string, empty bool) string {
	prefix := "give the API application's agent (Configuration > Integrations > HaloPSA API > your application > \"Agent to log in as\") "
	if empty {
		prefix = "if " + name + " exist in Halo, the agent may not see them: " + prefix
	}
	if e, ok := entity.Lookup(name); ok && e.Access != "" {
		return prefix + e.Access
	}
	return prefix + "the permissions for this area (Agent > Permissions) and scope all"
}

func printChecks(w io.Writer, results []checkResult) {
	width := 0
	for _, r := range results {
		width = max(width, len(r.Check))
	}
	for _, r := range results {
		text := r.Detail
		if r.Problem != "" {
			text = r.Problem
		}
		fmt.Fprintf(w, "%-4s  %-*s  %s\n", r.Status, width, r.Check, text)
		if r.Fix != "" {
			fmt.Fprintf(w, "      %-*s  fix: %s\n", width, "", r.Fix)
		}
	}
}
