//go:build !linux

package redistest

import "syscall"

// dieWithParent has no equivalent outside Linux: there Main's teardown and
// signal handler are what stop the server.
func dieWithParent() *syscall.SysProcAttr { return nil }
