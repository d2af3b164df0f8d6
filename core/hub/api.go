package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// APIPath is the prefix of the hub's repository API (what Docker Hub's website does):
//
//	GET   /hub/api/repositories             the repositories the caller may see
//	POST  /hub/api/repositories             {"name": "USER/NAME", "private": true} creates one
//	PATCH /hub/api/repositories/USER/NAME   {"private": false} changes its visibility
//
// Requests carry the account's username and password as HTTP Basic auth (what `docker
// login` stored in the client config); listing works without. Answers are JSON: a Repo, a
// {"repositories": [Repo...]}, or {"message": "..."} with a 4xx.
const APIPath = "/hub/api/"

func apiError(w http.ResponseWriter, status int, format string, a ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": fmt.Sprintf(format, a...)})
}

func apiJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// apiUser checks the request's Basic credentials: "" with ok for none, the user for right
// ones; a wrong password (or an unknown user: the API creates no accounts) answers 401.
func (h *Hub) apiUser(w http.ResponseWriter, r *http.Request, required bool) (string, bool) {
	user, pass, has := r.BasicAuth()
	if !has {
		if required {
			w.Header().Set("WWW-Authenticate", `Basic realm="layerlab hub"`)
			apiError(w, http.StatusUnauthorized, "log in first: docker login (the hub API takes the account's username and password)")
			return "", false
		}
		return "", true
	}
	if err := h.accounts.verify(user, pass); err != nil {
		apiError(w, http.StatusUnauthorized, "%v", err)
		return "", false
	}
	return user, true
}

func (h *Hub) serveAPI(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, APIPath)
	coll, name, _ := strings.Cut(rest, "/")
	if coll != "repositories" {
		apiError(w, http.StatusNotFound, "no such hub API path %s", r.URL.Path)
		return
	}
	switch {
	case name == "" && r.Method == http.MethodGet:
		user, ok := h.apiUser(w, r, false)
		if !ok {
			return
		}
		list := h.repos.visible(user)
		if list == nil {
			list = []Repo{}
		}
		apiJSON(w, http.StatusOK, map[string]any{"repositories": list})
	case name == "" && r.Method == http.MethodPost:
		user, ok := h.apiUser(w, r, true)
		if !ok {
			return
		}
		var body struct {
			Name    string `json:"name"`
			Private bool   `json:"private"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
			apiError(w, http.StatusBadRequest, "reading the request: want {\"name\": \"USER/NAME\", \"private\": true}: %v", err)
			return
		}
		if !h.ownName(w, user, body.Name) {
			return
		}
		rp, err := h.repos.create(body.Name, body.Private)
		if errors.Is(err, errRepoExists) {
			apiError(w, http.StatusConflict, "repository %s already exists; change its visibility with hub visibility %s public|private", body.Name, body.Name)
			return
		}
		if err != nil {
			apiError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		apiJSON(w, http.StatusCreated, rp)
	case name != "" && r.Method == http.MethodPatch:
		user, ok := h.apiUser(w, r, true)
		if !ok {
			return
		}
		var body struct {
			Private *bool `json:"private"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil || body.Private == nil {
			apiError(w, http.StatusBadRequest, "reading the request: want {\"private\": true} or {\"private\": false}")
			return
		}
		if !h.ownName(w, user, name) {
			return
		}
		rp, err := h.repos.setPrivate(name, *body.Private)
		if errors.Is(err, errRepoUnknown) {
			apiError(w, http.StatusNotFound, "repository %s does not exist; create it with hub create %s", name, name)
			return
		}
		if err != nil {
			apiError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		apiJSON(w, http.StatusOK, rp)
	default:
		w.Header().Set("Allow", "GET, POST, PATCH")
		apiError(w, http.StatusMethodNotAllowed, "%s %s is not part of the hub API", r.Method, r.URL.Path)
	}
}

// ownName checks that name is USER/NAME for the logged-in user.
func (h *Hub) ownName(w http.ResponseWriter, user, name string) bool {
	ns, repo, ok := strings.Cut(name, "/")
	if !ok || strings.Contains(repo, "/") || !repoShape.MatchString(name) || len(repo) < 2 {
		apiError(w, http.StatusBadRequest, "repository name %q: want USER/NAME, lowercase letters, digits and . _ - (like %s/app)", name, user)
		return false
	}
	if ns != user {
		apiError(w, http.StatusForbidden, "repository %s is in the namespace %s; you are logged in as %s and may only manage %s/*", name, ns, user, user)
		return false
	}
	return true
}
