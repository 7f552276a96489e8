// Package all turns every Tracium integration on in an Orchestrion build,
// with no Tracium code in the program. Import it in the program's
// orchestrion.tool.go (the file orchestrion pin writes), in place of the
// tracer import pin adds:
//
//	//go:build tools
//
//	package tools
//
//	import (
//		_ "github.com/DataDog/orchestrion"
//		_ "github.com/tracium/tracium/sdk/contrib/all"
//	)
//
// and build with orchestrion go build ./... (or go build -toolexec
// 'orchestrion toolexec'). The aspects are those of
// github.com/tracium/tracium/sdk/auto (the program's start and end,
// net/http servers, the LLM clients) and of every module under
// sdk/contrib; a program that wants fewer imports those packages one by
// one instead of this one. A build without Orchestrion ignores all of it.
package all
