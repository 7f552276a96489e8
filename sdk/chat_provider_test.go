package tracium

import (
	"encoding/json"
	"testing"
)

func TestProviderMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		provider, raw, want string
	}{
		{"openai", `[{"role":"developer","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]},
			{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
			{"role":"tool","tool_call_id":"c1","content":"ok"}]`,
			`[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},{"role":"user","parts":[{"type":"text","content":"Hi"}]},` +
				`{"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"f","arguments":{"a":1}}]},` +
				`{"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":"ok"}]}]`},
		{"anthropic", `[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]`,
			`[{"role":"user","parts":[{"type":"text","content":"Hi"}]},{"role":"assistant","parts":[{"type":"tool_call","id":"t1","name":"f","arguments":{"a":1}}]},` +
				`{"role":"tool","parts":[{"type":"tool_call_response","id":"t1","response":"ok"}]}]`},
		{"google", `[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"function_call":{"name":"f","args":{"a":1}}}]},
			{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"r":2}}}]}]`,
			`[{"role":"user","parts":[{"type":"text","content":"Hi"}]},{"role":"assistant","parts":[{"type":"tool_call","name":"f","arguments":{"a":1}}]},` +
				`{"role":"tool","parts":[{"type":"tool_call_response","name":"f","response":{"r":2}}]}]`},
	} {
		msgs, ok := ProviderMessages(tc.provider, []byte(tc.raw))
		got, _ := json.Marshal(msgs)
		if !ok || string(got) != tc.want {
			t.Errorf("ProviderMessages(%s):\n got %s, %v\nwant %s", tc.provider, got, ok, tc.want)
		}
	}
	for _, bad := range []struct{ provider, raw string }{{"openai", `{"role":"user"}`}, {"mistral", `[]`}, {"google", `nope`}} {
		if _, ok := ProviderMessages(bad.provider, []byte(bad.raw)); ok {
			t.Errorf("ProviderMessages(%s, %s) ok", bad.provider, bad.raw)
		}
	}
}
