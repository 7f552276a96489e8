module github.com/tracium/tracium/sdk/contrib/echov5

go 1.26.8

require (
	github.com/labstack/echo/v5 v5.4.4
	github.com/tracium/tracium/sdk v0.0.0
)

require (
	github.com/stretchr/testify v1.12.1 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.44.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/tracium/tracium/sdk => ../..
