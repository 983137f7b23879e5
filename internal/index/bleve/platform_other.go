//go:build !unix

package bleve

import (
	"fmt"
	"os"
	"time"
)

// lockFile opens path without locking it: on this platform a second process on the same
// directory is kept out only by bleve's own lock on its root file.
func lockFile(path string, _ time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	return f, nil
}

// syncDir does nothing: directories cannot be fsynced on this platform.
func syncDir(string) error { return nil }
