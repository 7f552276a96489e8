package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// The harness speaks just enough of RESP2, Redis's protocol, to find a
// server, claim a database and flush it: it must not depend on a Redis
// client library, because it lives in the SDK's module.

// maxBulk bounds one bulk reply; the harness only reads short values.
const maxBulk = 1 << 20

// maxDepth bounds nested arrays, so a hostile reply cannot recurse deeply.
const maxDepth = 4

// maxArray bounds the elements of one array reply.
const maxArray = 1 << 16

// replyError is an error reply ("-ERR ...", "-NOAUTH ...") from the server.
type replyError string

func (e replyError) Error() string { return "redis: " + string(e) }

// errProtocol is a reply that is not RESP.
var errProtocol = errors.New("redis: malformed reply")

// conn is one connection to a Redis server. It is not safe for concurrent
// use; the harness guards the one it keeps.
type conn struct {
	nc net.Conn
	r  *bufio.Reader
}

// dial connects to addr and authenticates when password is set.
func dial(addr, username, password string, timeout time.Duration) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c := &conn{nc: nc, r: bufio.NewReader(nc)}
	if password != "" {
		args := []string{"AUTH", password}
		if username != "" {
			args = []string{"AUTH", username, password}
		}
		if _, err := c.do(timeout, args...); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return c, nil
}

func (c *conn) close() error { return c.nc.Close() }

// do sends one command and reads its reply: a string for simple and bulk
// strings, an int64, a []any, nil for a nil reply, or a replyError.
func (c *conn) do(timeout time.Duration, args ...string) (any, error) {
	if err := c.nc.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, 64)
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(len(args)), 10)
	buf = append(buf, '\r', '\n')
	for _, a := range args {
		buf = append(buf, '$')
		buf = strconv.AppendInt(buf, int64(len(a)), 10)
		buf = append(buf, '\r', '\n')
		buf = append(buf, a...)
		buf = append(buf, '\r', '\n')
	}
	if _, err := c.nc.Write(buf); err != nil {
		return nil, err
	}
	v, err := readReply(c.r, 0)
	if err != nil {
		return nil, err
	}
	if e, ok := v.(replyError); ok {
		return nil, e
	}
	return v, nil
}

// readReply decodes one RESP2 reply.
func readReply(r *bufio.Reader, depth int) (any, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, errProtocol
	}
	body := string(line[1:])
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return replyError(body), nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return nil, errProtocol
		}
		return n, nil
	case '$':
		n, err := strconv.Atoi(body)
		switch {
		case err != nil || n < -1 || n > maxBulk:
			return nil, errProtocol
		case n == -1:
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		if b[n] != '\r' || b[n+1] != '\n' {
			return nil, errProtocol
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		switch {
		case err != nil || n < -1 || n > maxArray || depth >= maxDepth:
			return nil, errProtocol
		case n == -1:
			return nil, nil
		}
		out := make([]any, 0, min(n, 64))
		for range n {
			v, err := readReply(r, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: type byte %q", errProtocol, line[0])
}

// readLine reads one CRLF-terminated line without its terminator.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, errProtocol
	}
	if err != nil {
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, errProtocol
	}
	return line[:len(line)-2], nil
}
