package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errNoPostgres explains how to get a server when none could be found.
var errNoPostgres = errors.New(`no PostgreSQL server available:
  ` + EnvURL + ` is not set, no Docker engine answered, and no PostgreSQL
  programs (initdb, pg_ctl) were found in PATH, via pg_config --bindir, or
  under /usr/lib/postgresql/*/bin.
Install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) or set
  ` + EnvURL + `=postgres://user:password@host:5432/postgres`)

// findBinDir returns the directory holding initdb and pg_ctl: from PATH,
// then pg_config --bindir, then the newest /usr/lib/postgresql/*/bin
// (Debian keeps the programs there, off PATH).
func findBinDir() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	dirs = append(dirs, debianBinDirs()...)
	for _, d := range dirs {
		// A directory of links (/usr/local/bin, Homebrew's) gives way to
		// the one initdb links into, which holds the other programs too
		// (pg_basebackup, for a replica).
		if real, err := filepath.EvalSymlinks(filepath.Join(d, "initdb")); err == nil && holdsServerPrograms(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if holdsServerPrograms(d) {
			return d, nil
		}
	}
	return "", errNoPostgres
}

// debianBinDirs lists /usr/lib/postgresql/*/bin, highest version first.
func debianBinDirs() []string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) []int {
		var v []int
		for _, f := range strings.Split(filepath.Base(filepath.Dir(dir)), ".") {
			n, _ := strconv.Atoi(f)
			v = append(v, n)
		}
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int { return slices.Compare(version(b), version(a)) })
	return dirs
}

// holdsServerPrograms reports whether dir has both initdb and pg_ctl:
// both from one directory, so that their versions match.
func holdsServerPrograms(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "pg_ctl"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// runAs says whom the cluster's programs run as. PostgreSQL refuses to run
// as root, and tests often do (CI containers), so root hands the cluster to
// an unprivileged user.
type runAs struct {
	cred *syscall.Credential // nil: as ourselves
	uid  int
	name string
}

// clusterUser picks the user for initdb and pg_ctl: ourselves unless root,
// else "postgres" (made for this, and what a PostgreSQL package creates),
// else "nobody".
func clusterUser() (runAs, error) {
	if os.Geteuid() != 0 {
		return runAs{uid: os.Geteuid()}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		// Groups left empty drops root's supplementary groups too.
		cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
		return runAs{cred: cred, uid: int(uid), name: name}, nil
	}
	return runAs{}, errors.New(`running as root, and PostgreSQL refuses to; found neither a "postgres" nor a "nobody" user to run it as`)
}

// run runs a PostgreSQL program from bin as who, in dir, and returns its
// combined output in the error if it fails.
func (who runAs) run(dir, bin, prog string, args ...string) error {
	cmd := exec.Command(filepath.Join(bin, prog), args...)
	// Our working directory (the package under test) may be closed to the
	// unprivileged user.
	cmd.Dir = dir
	// A process group of its own keeps a terminal's Ctrl-C away from the
	// postmaster pg_ctl forks; our signal handler stops it in order instead.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: who.cred}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Should a forked postmaster ever hold our pipe open, do not wait on it.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
