package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HubAPI talks to the repository API of a `layerlab serve` practice hub (core/hub.APIPath,
// described in docs/api.md): what Docker Hub's website does, for the `hub` command.
type HubAPI struct {
	// Base is the server's URL, e.g. http://127.0.0.1:8080 (the page's own origin in the browser).
	Base *url.URL
	// Next carries the requests; nil means http.DefaultTransport.
	Next http.RoundTripper
}

// HubRepo is one repository as the hub describes it.
type HubRepo struct {
	Name    string    `json:"name"`
	Private bool      `json:"private"`
	Created time.Time `json:"created"`
	Tags    []string  `json:"tags"`
}

// HubError is the hub's refusal: its status and one-line message.
type HubError struct {
	StatusCode int
	Message    string
}

func (e *HubError) Error() string { return e.Message }

// Repositories lists the repositories user may see (all public ones and user's own); user
// "" lists the public ones.
func (a *HubAPI) Repositories(ctx context.Context, user, password string) ([]HubRepo, error) {
	var out struct {
		Repositories []HubRepo `json:"repositories"`
	}
	if err := a.do(ctx, http.MethodGet, "repositories", user, password, nil, &out); err != nil {
		return nil, fmt.Errorf("listing the hub's repositories: %w", err)
	}
	return out.Repositories, nil
}

// Create makes the repository name (USER/NAME) on the hub, private or public.
func (a *HubAPI) Create(ctx context.Context, user, password, name string, private bool) (HubRepo, error) {
	var out HubRepo
	err := a.do(ctx, http.MethodPost, "repositories", user, password, map[string]any{"name": name, "private": private}, &out)
	if err != nil {
		return out, fmt.Errorf("creating %s on the hub: %w", name, err)
	}
	return out, nil
}

// SetVisibility makes the repository name private or public.
func (a *HubAPI) SetVisibility(ctx context.Context, user, password, name string, private bool) (HubRepo, error) {
	var out HubRepo
	err := a.do(ctx, http.MethodPatch, "repositories/"+name, user, password, map[string]any{"private": private}, &out)
	if err != nil {
		return out, fmt.Errorf("changing the visibility of %s: %w", name, err)
	}
	return out, nil
}

func (a *HubAPI) do(ctx context.Context, method, path, user, password string, in, out any) error {
	if a.Base == nil {
		return fmt.Errorf("no hub URL")
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := *a.Base
	u.Path = strings.TrimSuffix(a.Base.Path, "/") + "/hub/api/" + path
	u.RawPath, u.RawQuery = "", ""
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	next := a.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("reading the hub's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &e) != nil || e.Message == "" {
			e.Message = fmt.Sprintf("the hub at %s answered %s", a.Base, resp.Status)
		}
		return &HubError{StatusCode: resp.StatusCode, Message: e.Message}
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("reading the hub's answer: %w", err)
	}
	return nil
}
