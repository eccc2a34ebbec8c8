//go:build !linux

package devserver

import "os/exec"

// dieWithParent: only Linux has a parent-death signal; elsewhere a killed
// dev stack may leave its Temporal child running.
func dieWithParent(*exec.Cmd) {}
