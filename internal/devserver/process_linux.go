package devserver

import (
	"os/exec"
	"syscall"
)

// DieWithParent makes the kernel SIGKILL cmd (a Temporal server, PostgreSQL) when the process
// that started it dies, even by SIGKILL: no orphaned Temporal keeps the
// ports and the database. (Pdeathsig follows the starting thread; Go only
// retires threads locked with LockOSThread, which Start is not.)
func DieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
