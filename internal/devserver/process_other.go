//go:build !linux

package devserver

import "os/exec"

// DieWithParent: only Linux has a parent-death signal; elsewhere a killed
// dev stack may leave its Temporal child running.
func DieWithParent(*exec.Cmd) {}
