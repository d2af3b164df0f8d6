package registry

import v1 "github.com/google/go-containerregistry/pkg/v1"

// Phase is one step of a layer's pull or push, named after the engine's status messages.
type Phase int

const (
	// Pull phases.
	PhaseAlreadyExists     Phase = iota + 1 // the layer is already in the store
	PhasePullingFSLayer                     // the layer will be downloaded
	PhaseWaiting                            // queued behind the concurrent download limit
	PhaseDownloading                        // bytes arriving (Current of Total)
	PhaseVerifyingChecksum                  // all bytes arrived; checking the digest
	PhaseDownloadComplete                   // verified and stored
	PhaseExtracting                         // decompressing to check the diff_id (Current of Total)
	PhasePullComplete                       // the layer's diff_id matched the config

	// Push phases.
	PhasePreparing          // the layer will be pushed
	PhasePushing            // bytes leaving (Current of Total)
	PhasePushed             // uploaded
	PhaseLayerAlreadyExists // the registry already has it
	PhaseMounted            // mounted from another repository (From)
)

// Event reports progress on one layer.
type Event struct {
	Phase Phase
	// Layer is the layer's blob digest (pull) or diff_id (push): Docker shows the first 12
	// hex digits of each.
	Layer v1.Hash
	// Current and Total are byte counts for PhaseDownloading, PhaseExtracting and
	// PhasePushing.
	Current, Total int64
	// From is the repository a layer was mounted from (PhaseMounted).
	From string
}
