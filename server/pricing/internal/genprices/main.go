// Command genprices turns the price dataset of @pydantic/genai-prices
// (dumped to genai-prices.json by dump.mjs) into Tracium's price table,
// server/pricing/prices.json. make prices runs it through
// scripts/prices.sh; its output depends on the dataset file alone, so the
// tests can check that the committed table is what the committed dataset
// gives.
//
// Usage:
//
//	go run ./server/pricing/internal/genprices -dataset genai-prices.json -out prices.json
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
)

func main() {
	datasetPath := flag.String("dataset", "server/pricing/internal/genprices/genai-prices.json", "the dumped dataset")
	out := flag.String("out", "server/pricing/prices.json", "the price table to write")
	flag.Parse()
	if err := run(*datasetPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genprices:", err)
		os.Exit(1)
	}
}

func run(datasetPath, out string) error {
	raw, err := os.ReadFile(datasetPath)
	if err != nil {
		return err
	}
	d, err := decodeDataset(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", datasetPath, err)
	}
	g, err := generate(d)
	if err != nil {
		return err
	}
	b, err := g.encode()
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}
