package otlpnode

import (
	"testing"

	"github.com/tracium/tracium/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
