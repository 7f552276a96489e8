module github.com/tracium/tracium/sdk/contrib/echov5

go 1.26.8

require (
	github.com/labstack/echo/v5 v5.4.4
	github.com/tracium/tracium/sdk v0.0.0
)

require golang.org/x/time v0.15.0 // indirect

replace github.com/tracium/tracium/sdk => ../..
