// Package cpuclock reads the CPU time a process has used, for benchmarks
// that report CPU per operation beside wall time: on a shared machine the
// CPU, not one call's wait, bounds throughput.
package cpuclock

import (
	"syscall"
	"time"
)

// Process is the CPU time this process has used so far, user and system.
func Process() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
