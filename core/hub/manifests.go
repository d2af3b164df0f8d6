package hub

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// regError is a registry API error answer.
type regError struct {
	Status  int
	Code    string
	Message string
}

func (e *regError) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": e.Code, "message": e.Message}}})
}

var (
	errNameUnknown     = &regError{http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry"}
	errManifestUnknown = &regError{http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown"}
	errNameInvalid     = &regError{http.StatusBadRequest, "NAME_INVALID", "invalid repository name"}
	errUnsupported     = &regError{http.StatusMethodNotAllowed, "UNSUPPORTED", "The operation is unsupported."}
)

// maxManifest is the largest manifest the hub takes (Docker Hub's limit is 4 MB too).
const maxManifest = 4 << 20

var (
	pathComponent = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
	repoShape     = regexp.MustCompile(`^` + pathComponent + `(?:/` + pathComponent + `)*$`)
	tagShape      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestShape   = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// route splits a /v2/ path into the repository and what is asked of it: "manifests" with a
// tag or digest, "tags", "catalog", or "" for everything pkg/registry serves (blobs, /v2/).
func route(path string) (repo, kind, target string) {
	p := strings.TrimPrefix(path, "/v2/")
	if p == "_catalog" {
		return "", "catalog", ""
	}
	if i := strings.LastIndex(p, "/manifests/"); i > 0 {
		return p[:i], "manifests", p[i+len("/manifests/"):]
	}
	if strings.HasSuffix(p, "/tags/list") {
		return strings.TrimSuffix(p, "/tags/list"), "tags", ""
	}
	return "", "", ""
}

// serveManifest answers GET, HEAD, PUT and DELETE of /v2/REPO/manifests/REF from the
// repository store on disk.
func (h *Hub) serveManifest(w http.ResponseWriter, r *http.Request, repo, target string) {
	if !repoShape.MatchString(repo) {
		errNameInvalid.write(w)
		return
	}
	if !tagShape.MatchString(target) && !digestShape.MatchString(target) {
		(&regError{http.StatusBadRequest, "MANIFEST_INVALID", "invalid tag or digest " + strconv.Quote(target)}).write(w)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		b, mt, digest, rerr := h.repos.manifest(repo, target)
		if rerr != nil {
			rerr.write(w)
			return
		}
		w.Header().Set("Docker-Content-Digest", digest)
		w.Header().Set("Content-Type", mt)
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(b)
		}
	case http.MethodPut:
		b, err := io.ReadAll(io.LimitReader(r.Body, maxManifest+1))
		if err != nil {
			(&regError{http.StatusBadRequest, "MANIFEST_INVALID", "reading the manifest: " + err.Error()}).write(w)
			return
		}
		if len(b) > maxManifest {
			(&regError{http.StatusRequestEntityTooLarge, "SIZE_INVALID", fmt.Sprintf("manifest over %d bytes", maxManifest)}).write(w)
			return
		}
		mt := r.Header.Get("Content-Type")
		var probe struct {
			MediaType string `json:"mediaType"`
		}
		if err := json.Unmarshal(b, &probe); err != nil {
			(&regError{http.StatusBadRequest, "MANIFEST_INVALID", "manifest is not JSON: " + err.Error()}).write(w)
			return
		}
		if mt == "" {
			mt = probe.MediaType
		}
		if strings.HasPrefix(target, "sha256:") {
			got, _, _ := v1.SHA256(strings.NewReader(string(b)))
			if got.String() != target {
				(&regError{http.StatusBadRequest, "DIGEST_INVALID", fmt.Sprintf("manifest digest %s does not match %s", got, target)}).write(w)
				return
			}
		}
		if types.MediaType(mt).IsIndex() {
			im, err := v1.ParseIndexManifest(strings.NewReader(string(b)))
			if err != nil {
				(&regError{http.StatusBadRequest, "MANIFEST_INVALID", err.Error()}).write(w)
				return
			}
			for _, d := range im.Manifests {
				if (d.MediaType.IsIndex() || d.MediaType.IsImage()) && !h.repos.hasManifest(repo, d.Digest.String()) {
					(&regError{http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN", fmt.Sprintf("sub-manifest %s not found", d.Digest)}).write(w)
					return
				}
			}
		}
		digest, err := h.repos.putManifest(repo, target, mt, b)
		if err != nil {
			(&regError{http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", err.Error()}).write(w)
			return
		}
		w.Header().Set("Docker-Content-Digest", digest)
		w.Header().Set("Location", "/v2/"+repo+"/manifests/"+digest)
		w.WriteHeader(http.StatusCreated)
	case http.MethodDelete:
		if rerr := h.repos.deleteManifest(repo, target); rerr != nil {
			rerr.write(w)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		errUnsupported.write(w)
	}
}

// serveTags answers /v2/REPO/tags/list (with the n and last pagination parameters).
func (h *Hub) serveTags(w http.ResponseWriter, r *http.Request, repo string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		errUnsupported.write(w)
		return
	}
	tags, ok := h.repos.tags(repo)
	if !ok {
		errNameUnknown.write(w)
		return
	}
	tags, err := paginate(tags, r)
	if err != nil {
		err.write(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"name": repo, "tags": tags})
}

// serveCatalog lists the repositories the token's subject may see.
func (h *Hub) serveCatalog(w http.ResponseWriter, r *http.Request, user string) {
	var names []string
	for _, rp := range h.repos.visible(user) {
		names = append(names, rp.Name)
	}
	sort.Strings(names)
	names, err := paginate(names, r)
	if err != nil {
		err.write(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"repositories": names})
}

func paginate(list []string, r *http.Request) ([]string, *regError) {
	if last := r.URL.Query().Get("last"); last != "" {
		i := sort.SearchStrings(list, last)
		for i < len(list) && list[i] <= last {
			i++
		}
		list = list[i:]
	}
	if ns := r.URL.Query().Get("n"); ns != "" {
		n, err := strconv.Atoi(ns)
		if err != nil || n < 0 {
			return nil, &regError{http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid number of results requested: " + strconv.Quote(ns)}
		}
		if n < len(list) {
			list = list[:n]
		}
	}
	if list == nil {
		list = []string{}
	}
	return list, nil
}
