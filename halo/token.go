package halo

import "context"

// Authenticate fetches (or reuses) the client's bearer token without calling /api: the first step of a
// connection check. Errors are typed as for any call (*AuthError for refused credentials or scope).
func (c *Client) Authenticate(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, _, err := c.tokens.token()
	return err
}

// BaseURL returns the normalised instance URL the client talks to.
func (c *Client) BaseURL() string { return c.base }
