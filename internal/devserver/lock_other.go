//go:build !unix

package devserver

import "context"

// lockFile: no cross-process lock here; concurrent builders each build,
// and the atomic rename keeps the binary whole.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
