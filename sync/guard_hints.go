package sync

import (
	"strings"

	"github.com/halosync/halosync/halo"
)

// hintFor tells the operator the cause and the fix of err on endpoint
// ("GET /api/Tickets"), from the setup guides (halo-api.md §1.5, §8, §10),
// written from halo.Classify's Cause. "" when there is nothing to do but wait.
func hintFor(endpoint string, err error) string {
	v := halo.Classify(err)
	switch v.Cause {
	case halo.CauseForbidden:
		return endpoint + ": 403 — the API application's agent lacks permission or team access; enable the " +
			"permission for this area on the agent the application runs as and add the agent to all teams " +
			"(and 'Allow use of all Customers'), then wait for the breaker's next probe or restart the worker"
	case halo.CauseTokenRefused, halo.CauseNoTokenEndpoint:
		if v.Code == "invalid_scope" {
			return "Halo refuses the scope: set HALO_SCOPE to 'all' (or to scopes the API application allows)"
		}
		return "Halo refuses the credentials at the token endpoint (" + strings.TrimSpace(v.Code) + "): check HALO_CLIENT_ID and " +
			"HALO_CLIENT_SECRET against Configuration > Integrations > Halo API > the application (a regenerated secret " +
			"invalidates the old one), the application is active with Authentication Method 'Client ID and Secret " +
			"(Services)', and HALO_TENANT for hosted Halo"
	case halo.CauseUnauthorized:
		return "401 right after a fresh token: the API application was revoked or deactivated, its agent is " +
			"inactive, or the token has no scope; re-enable the application (or issue a new secret) and set HALO_SCOPE=all"
	case halo.CauseRateLimited:
		return "Halo's rate limit was hit (429): another integration may share the budget of this API application, " +
			"or HALO_RATE_LIMIT is above the tenant's limit; lower HALO_RATE_LIMIT (halosync waits for the window to roll)"
	case halo.CauseUnavailable:
		return "Halo is unavailable (503): halosync backs off and retries; check Halo's status page if it lasts"
	case halo.CauseServerError, halo.CauseGatewayTimeout:
		return "Halo answers server errors: halosync retries with backoff; if one record keeps failing, check it in Halo"
	case halo.CauseTimeout:
		return "Halo did not answer within HALO_TIMEOUT: check the network, DNS and proxy to Halo, or raise " +
			"HALO_TIMEOUT for a slow on-premise server"
	case halo.CauseUnreachable:
		return "could not reach Halo: check HALO_URL, DNS, firewall and proxy; halosync retries with backoff"
	}
	return ""
}
