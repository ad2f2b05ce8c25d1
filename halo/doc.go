// Package halo is the HaloPSA REST API client used by halosync.
//
// It owns everything that depends on how Halo really behaves rather than on what its
// OpenAPI document says:
//
//   - OAuth2 client credentials against <base>/auth/token, one shared token refreshed a
//     minute before expiry, and exactly one refetch-and-retry on a 401;
//   - one paging loop, List (pageinate=true, page_size ≤ 100, page_no from 1), that follows
//     record_count, ignores short pages, stops on repeated pages and de-duplicates, over
//     any endpoint (an Endpoint and a Decoder: internal/entity supplies both from an
//     entity's declaration), and one GET of a single record, Get;
//   - tolerant decoders (Int, Float, Bool, Time) of ids sent as 3, 3.0, -0.0 or "3",
//     sentinel dates, and 0–7 fractional digits;
//   - typed errors (*AuthError, *ForbiddenError, *NotFoundError, *RateLimitedError,
//     *ServerError, *ValidationError) and Classify, the one place that reads them into
//     outcomes (wait, transient, auth, forbidden, not found, rejected) and, for the
//     operator's hints, their causes (a refused token, a 503, a timeout, …).
//
// The client never retries 429 or 5xx itself: a Limiter (rate budget, breaker) and the
// job layer decide when to try again.
package halo
