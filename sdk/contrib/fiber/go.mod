module github.com/tracium/tracium/sdk/contrib/fiber

go 1.26.8

require (
	github.com/gofiber/fiber/v2 v2.52.15
	github.com/tracium/tracium/sdk v0.0.0
)

require (
	github.com/andybalholm/brotli v1.2.7 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/mattn/go-colorable v0.1.15 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/mattn/go-runewidth v0.0.16 // indirect
	github.com/rivo/uniseg v0.2.0 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasthttp v1.69.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/tracium/tracium/sdk => ../..
