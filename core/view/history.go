package view

import (
	"fmt"
	"time"
)

// HistoryRow is one row of `docker history`, as Engine 20.10's ImageHistory returns it.
type HistoryRow struct {
	// ID is the image ID on the image's own (top) row and "<missing>" below it: a store
	// keeps no parent chain, exactly like an engine that loaded the image from a tar.
	ID        string
	Created   int64 // Unix seconds
	CreatedBy string
	Tags      []string
	Size      int64
	Comment   string
}

// HistoryOf returns im's history, newest first. A history entry that is not an empty layer
// takes the next layer's size.
func HistoryOf(im *Image) ([]HistoryRow, error) {
	var rows []HistoryRow
	n := 0
	for _, h := range im.Config.History {
		var size int64
		if !h.EmptyLayer {
			if n >= len(im.LayerSizes) {
				return nil, fmt.Errorf("image %s: too many non-empty layers in History section", im.ID)
			}
			size = im.LayerSizes[n]
			n++
		}
		created := time.Time{}
		if h.Created != nil {
			created = *h.Created
		}
		rows = append([]HistoryRow{{
			ID:        "<missing>",
			Created:   created.Unix(),
			CreatedBy: h.CreatedBy,
			Size:      size,
			Comment:   h.Comment,
		}}, rows...)
	}
	if len(rows) > 0 {
		rows[0].ID = im.ID.String()
		for _, name := range im.Names {
			rows[0].Tags = append(rows[0].Tags, Familiar(name))
		}
	}
	return rows, nil
}
