// Package e2e runs the Eino integration end to end: a program that calls
// tracium.Init and traciumeino.Register runs an Eino graph against a fake
// OpenAI provider, and the trace the real collector stores, and the web UI
// shows, must hold the graph, its nodes, the model call and the tool
// calls. The module has no code a program would import.
package e2e
