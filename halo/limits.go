package halo

import (
	"fmt"
	"net/http"
)

// DefaultMaxResponseBody caps one Halo response body (a page of a listing is a few MiB at most): a
// server that streams without end must not exhaust the worker's memory.
const DefaultMaxResponseBody = 64 << 20

// RedirectError means Halo (or what answers in its place) redirected a request. The client follows no
// redirect: a 307 from the token endpoint would re-post the client secret, and one from /api would send
// the bearer token, to whatever host it names. Fix HALO_RESOURCE_SERVER or HALO_AUTH_SERVER instead.
type RedirectError struct {
	Status       int    // the 30x
	Method, Path string // the request that was redirected
	Host         string // the host the redirect names
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("halo: %s %s: redirected (HTTP %d) to host %s; redirects are never followed (check HALO_RESOURCE_SERVER / HALO_AUTH_SERVER)",
		e.Method, e.Path, e.Status, e.Host)
}

// StatusCode returns the 30x; being a StatusCoder, the error is not retried in process.
func (e *RedirectError) StatusCode() int { return e.Status }

// refuseRedirect is every client's CheckRedirect: it stops at the first redirect.
func refuseRedirect(req *http.Request, via []*http.Request) error {
	e := &RedirectError{Host: req.URL.Host}
	if req.Response != nil {
		e.Status = req.Response.StatusCode
	}
	if len(via) > 0 {
		e.Method, e.Path = via[0].Method, via[0].URL.Path
	}
	return e
}

// ResponseTooLargeError means a response body exceeded the client's cap (Config.MaxResponseBody).
type ResponseTooLargeError struct {
	Method, Path string
	Limit        int64
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("halo: %s %s: response body larger than %d MiB; refused", e.Method, e.Path, e.Limit>>20)
}

// StatusCode is 0: the response was a success, its body too large. Not retried in process.
func (e *ResponseTooLargeError) StatusCode() int { return 0 }
