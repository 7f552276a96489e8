package redistest

import "syscall"

// dieWithParent asks Linux to kill the server when the test process dies.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
