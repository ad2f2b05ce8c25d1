package halo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"time"
)

// StatusCoder is implemented by every typed Halo error.
type StatusCoder interface {
	StatusCode() int
}

// AuthError means Halo refused our credentials: the token endpoint answered with an
// OAuth error (invalid_client, invalid_scope, …) or /api still answered 401 after one
// token refresh and retry. Retrying will not help until the configuration changes.
type AuthError struct {
	Status       int    // HTTP status (401, 400, …)
	Code         string // OAuth error code from the token endpoint, e.g. "invalid_client"
	Message      string // Halo's description (secret and token redacted)
	Method       string // for /api 401s: the request that failed
	Path         string
	TokenRequest bool // true when the token endpoint itself refused
}

func (e *AuthError) Error() string {
	var b strings.Builder
	if e.TokenRequest {
		b.WriteString("halo: token request refused")
	} else {
		fmt.Fprintf(&b, "halo: %s %s: unauthorized after token refresh", e.Method, e.Path)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" && e.Message != e.Code {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// StatusCode returns the HTTP status.
func (e *AuthError) StatusCode() int { return e.Status }

// ForbiddenError is a 403: the token is valid but the API agent or scope may not do
// Method on Path. Not retried.
type ForbiddenError struct {
	Method, Path string
	Message      string
}

func (e *ForbiddenError) Error() string {
	s := fmt.Sprintf("halo: forbidden: no permission to %s %s (HTTP 403)", e.Method, e.Path)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// StatusCode returns 403.
func (e *ForbiddenError) StatusCode() int { return http.StatusForbidden }

// NotFoundError is a 404.
type NotFoundError struct {
	Method, Path string
	Message      string
}

func (e *NotFoundError) Error() string {
	s := fmt.Sprintf("halo: %s %s: not found (HTTP 404)", e.Method, e.Path)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// StatusCode returns 404.
func (e *NotFoundError) StatusCode() int { return http.StatusNotFound }

// RateLimitedError is a 429. Halo's window rolls over 5 minutes and it sends no
// Retry-After, so RetryAfter is usually 0: back off for tens of seconds. The client
// never retries it itself.
type RateLimitedError struct {
	Method, Path string
	Message      string
	RetryAfter   time.Duration // from a Retry-After header if one was present
}

func (e *RateLimitedError) Error() string {
	s := fmt.Sprintf("halo: %s %s: rate limited (HTTP 429)", e.Method, e.Path)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// StatusCode returns 429.
func (e *RateLimitedError) StatusCode() int { return http.StatusTooManyRequests }

// ServerError is a 5xx.
type ServerError struct {
	Status       int
	Method, Path string
	Message      string
}

func (e *ServerError) Error() string {
	s := fmt.Sprintf("halo: %s %s: server error (HTTP %d)", e.Method, e.Path, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// StatusCode returns the HTTP status.
func (e *ServerError) StatusCode() int { return e.Status }

// ValidationError is a 400 (and any other 4xx without its own type): Halo rejected
// the request, e.g. "CODE:APP03/2 Please select the CAB members to approve". Message is
// Halo's text, parsed from whichever error-body shape it used.
type ValidationError struct {
	Status       int
	Method, Path string
	Message      string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("halo: %s %s: rejected (HTTP %d): %s", e.Method, e.Path, e.StatusCode(), e.Message)
}

// StatusCode returns the HTTP status (400 unless set otherwise).
func (e *ValidationError) StatusCode() int {
	if e.Status == 0 {
		return http.StatusBadRequest
	}
	return e.Status
}

// isTransient reports whether err is worth retrying later with backoff: network
// failures and timeouts, 5xx, and 429 (callers should back off much longer for
// *RateLimitedError). Auth, permission, validation and not-found errors are permanent,
// and so is the caller's own context cancellation. Outside this package it is read
// through Classify (ClassTransient, or ClassWait for a 429).
func isTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var se *ServerError
	var rl *RateLimitedError
	if errors.As(err, &se) || errors.As(err, &rl) {
		return true
	}
	var sc StatusCoder
	if errors.As(err, &sc) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

// haloMessage extracts a human-readable message from one of Halo's error-body shapes:
// a bare JSON string; {"error":"..."} (with optional error_description);
// {"error":{"error_description":...}}; a .NET exception {"ClassName":..,"Message":..};
// or field-keyed objects like {"[0].id":"..."}. Anything else is returned as
// (truncated, whitespace-collapsed) text.
func haloMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(body, &s) == nil {
		return truncate(s, 500)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil {
		return truncate(messageFromObject(obj), 500)
	}
	var arr []json.RawMessage
	if json.Unmarshal(body, &arr) == nil {
		var parts []string
		for _, el := range arr {
			if m := haloMessage(el); m != "" {
				parts = append(parts, m)
			}
		}
		return truncate(strings.Join(parts, "; "), 500)
	}
	return truncate(strings.Join(strings.Fields(string(body)), " "), 300)
}

func messageFromObject(obj map[string]json.RawMessage) string {
	str := func(k string) string {
		var s string
		if raw, ok := lookupFold(obj, k); ok && json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	if raw, ok := lookupFold(obj, "error"); ok {
		var nested map[string]json.RawMessage
		if json.Unmarshal(raw, &nested) == nil {
			return messageFromObject(nested)
		}
		code := str("error")
		if d := str("error_description"); d != "" {
			if code == "" {
				return d
			}
			return code + ": " + d
		}
		if code != "" {
			return code
		}
	}
	for _, k := range []string{"error_description", "message", "title", "detail"} {
		if s := str(k); s != "" {
			return s
		}
	}
	// Field-keyed validation errors: {"[0].id": "The id field is invalid"}.
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if v := haloMessage(obj[k]); v != "" {
			parts = append(parts, k+": "+v)
		}
	}
	return strings.Join(parts, "; ")
}

func lookupFold(obj map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// DecodeError is a 2xx answer whose body does not decode into the record's type (an id of the wrong type,
// a body that is not the object asked for). Asking again returns the same bytes: it is not transient.
type DecodeError struct {
	Method, Path string
	Err          error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("halo: %s %s: decoding: %v", e.Method, e.Path, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }
