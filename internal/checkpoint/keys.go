package checkpoint

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Keys lists the keys that have a checkpoint, sorted, so old ones can be
// listed and pruned. Temp and lock files are not checkpoints; a file whose
// name is not a valid key is not one the store wrote and is left out.
func (d *DirStore) Keys(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, fmt.Errorf("list checkpoints in %s: %w", d.dir, err)
	}
	var keys []string
	for _, e := range entries {
		key, ok := strings.CutSuffix(e.Name(), fileSuffix)
		if !ok || !e.Type().IsRegular() || validateKey(key) != nil {
			continue
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys, nil
}
