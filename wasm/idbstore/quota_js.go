//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
	"time"

	"github.com/hack-pad/go-indexeddb/idb"

	"github.com/layerlab/layerlab/wasm/promise"
)

// QuotaError is what a write refused for lack of space becomes: the browser's
// QuotaExceededError with the space the origin uses (navigator.storage.estimate()) and how
// a learner frees some. Nothing stored before the refused write is lost.
type QuotaError struct {
	Usage, Quota int64 // bytes; 0 when the browser would not say
	Err          error // the browser's error
}

func (e *QuotaError) Error() string {
	used := "the browser's storage for this site is full"
	switch {
	case e.Quota > 0 && e.Usage*10 >= e.Quota*9:
		used += fmt.Sprintf(" (%s used of %s allowed)", human(e.Usage), human(e.Quota))
	case e.Usage > 0:
		// Chromium's estimate() may report a quota well above the one it enforces (a
		// DevTools override, or a figure rounded for privacy): say only what is used.
		used += fmt.Sprintf(" (%s used)", human(e.Usage))
	}
	return used + ": free space with `docker image prune -a` (removes images no tag needs) or `docker rmi IMAGE`, then try again"
}

func (e *QuotaError) Unwrap() error { return e.Err }

var errQuota = idb.NewDOMException("QuotaExceededError")

// IsQuotaExceeded reports whether err is the browser refusing a write for lack of space.
func IsQuotaExceeded(err error) bool {
	var q *QuotaError
	return errors.As(err, &q) || errors.Is(err, errQuota)
}

// quota turns a QuotaExceededError into a *QuotaError; other errors pass unchanged.
func (d *DB) quota(err error) error {
	if err == nil || !errors.Is(err, errQuota) {
		return err
	}
	var q *QuotaError
	if errors.As(err, &q) {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	usage, quota, _ := Estimate(ctx)
	return &QuotaError{Usage: usage, Quota: quota, Err: err}
}

// Estimate asks navigator.storage.estimate() how many bytes the origin uses and may use.
func Estimate(ctx context.Context) (usage, quota int64, err error) {
	storage := js.Global().Get("navigator").Get("storage")
	if storage.IsUndefined() || storage.Get("estimate").IsUndefined() {
		return 0, 0, errors.New("navigator.storage.estimate is not available")
	}
	v, err := promise.Await(ctx, storage.Call("estimate"))
	if err != nil {
		return 0, 0, fmt.Errorf("estimating storage use: %w", err)
	}
	return int64(v.Get("usage").Float()), int64(v.Get("quota").Float()), nil
}

// Persist asks the browser to keep the origin's storage under pressure
// (navigator.storage.persist()) and reports whether it will.
func Persist(ctx context.Context) (bool, error) {
	storage := js.Global().Get("navigator").Get("storage")
	if storage.IsUndefined() || storage.Get("persist").IsUndefined() {
		return false, errors.New("navigator.storage.persist is not available")
	}
	v, err := promise.Await(ctx, storage.Call("persist"))
	if err != nil {
		return false, fmt.Errorf("asking for persistent storage: %w", err)
	}
	return v.Truthy(), nil
}

// human prints a byte count as docker does (base 1000, three significant digits).
func human(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%dB", n)
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}
