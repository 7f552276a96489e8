package otlp

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	tracium "github.com/tracium/tracium/sdk"
)

// Messages flattened into indexed attributes, as OpenLLMetry
// (gen_ai.prompt.N.role, gen_ai.completion.N.content,
// gen_ai.prompt.N.tool_calls.M.name) and OpenInference
// (llm.input_messages.N.message.role, …message.contents.M.message_content.text,
// …message.tool_calls.M.tool_call.function.arguments) write them. Both
// read alike once OpenInference's "message." and "tool_call." steps are
// left out.

// maxFlatIndex bounds the indexes read, so that one attribute named
// "gen_ai.prompt.99999999.role" does not make a sparse list.
const maxFlatIndex = 10_000

type flatEntry struct {
	msg, sub int // message index, sub-item (tool call or content) index or -1
	field    string
	val      pcommon.Value
}

// flatMessages builds messages from a family's attributes; role is the
// role of a message that names none.
func (c *chat) flatMessages(attrs []flatAttr, role string) bool {
	entries := make([]flatEntry, 0, len(attrs))
	for _, a := range attrs {
		if e, ok := parseFlat(a); ok {
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return false
	}
	slices.SortStableFunc(entries, func(x, y flatEntry) int {
		return cmp.Or(cmp.Compare(x.msg, y.msg), cmp.Compare(x.sub, y.sub))
	})
	for i := 0; i < len(entries); {
		j := i
		for j < len(entries) && entries[j].msg == entries[i].msg {
			j++
		}
		c.flatMessage(entries[i:j], role)
		i = j
	}
	return true
}

// parseFlat reads "N.field", "N.message.field", "N.tool_calls.M.field"
// and "N.message.contents.M.message_content.field".
func parseFlat(a flatAttr) (flatEntry, bool) {
	n, rest, ok := flatIndex(a.rest)
	if !ok {
		return flatEntry{}, false
	}
	rest = strings.TrimPrefix(rest, "message.")
	e := flatEntry{msg: n, sub: -1, field: rest, val: a.val}
	for _, list := range [...]string{"tool_calls.", "contents."} {
		if after, found := strings.CutPrefix(rest, list); found {
			m, field, ok := flatIndex(after)
			if !ok {
				return flatEntry{}, false
			}
			field = strings.TrimPrefix(strings.TrimPrefix(field, "tool_call."), "message_content.")
			e.sub, e.field = m, list+field
		}
	}
	return e, true
}

func flatIndex(s string) (int, string, bool) {
	i := strings.IndexByte(s, '.')
	if i <= 0 {
		return 0, "", false
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n < 0 || n > maxFlatIndex {
		return 0, "", false
	}
	return n, s[i+1:], true
}

// flatMessage builds one message from its entries, sorted by sub-item:
// it writes them as the OpenAI message they flatten (OpenInference's
// typed contents as OpenAI's content parts) and reads that with the SDK's
// reader. A list content OpenLLMetry wrote for Anthropic (its JSON text)
// is read as Anthropic's blocks.
func (c *chat) flatMessage(entries []flatEntry, role string) {
	var role0, name, callID, finish, fnName, fnArgs string
	var content pcommon.Value
	hasContent := false
	var calls, parts []byte // JSON of the tool calls and typed contents
	type item struct{ id, name, args, typ, text, url string }
	var cur item
	curList, curSub := "", -1
	flush := func() {
		switch curList {
		case "tool_calls":
			calls = append(calls, ',')
			calls = append(calls, `{"id":`...)
			calls = appendString(calls, cur.id)
			calls = append(calls, `,"type":"function","function":{"name":`...)
			calls = appendString(calls, cur.name)
			calls = append(calls, `,"arguments":`...)
			calls = appendString(calls, cur.args)
			calls = append(calls, "}}"...)
		case "contents":
			parts = append(parts, ',')
			if cur.url != "" || cur.typ == "image" {
				parts = append(parts, `{"type":"image_url","image_url":{"url":`...)
				parts = appendString(parts, cur.url)
				parts = append(parts, "}}"...)
			} else {
				parts = append(parts, `{"type":"text","text":`...)
				parts = appendString(parts, cur.text)
				parts = append(parts, '}')
			}
		}
		cur, curList = item{}, ""
	}
	for _, e := range entries {
		v := e.val.AsString()
		list, field, _ := strings.Cut(e.field, ".")
		if e.sub >= 0 && (e.sub != curSub || list != curList) {
			flush()
			curSub, curList = e.sub, list
		}
		switch {
		case e.sub >= 0 && list == "tool_calls":
			switch field {
			case "id":
				cur.id = v
			case "name", "function.name":
				cur.name = v
			case "arguments", "function.arguments":
				cur.args = v
			}
		case e.sub >= 0 && list == "contents":
			switch field {
			case "type":
				cur.typ = v
			case "text":
				cur.text = v
			case "image.image.url", "image.url":
				cur.url = v
			}
		default:
			switch e.field {
			case "role":
				role0 = v
			case "content":
				content, hasContent = e.val, true
			case "name":
				name = v
			case "tool_call_id":
				callID = v
			case "finish_reason":
				finish = v
			case "function_call_name", "function_call.name":
				fnName = v
			case "function_call_arguments_json", "function_call.arguments":
				fnArgs = v
			}
		}
	}
	flush()
	if fnName != "" {
		calls = append(calls, `,{"type":"function","function":{"name":`...)
		calls = appendString(calls, fnName)
		calls = append(calls, `,"arguments":`...)
		calls = appendString(calls, fnArgs)
		calls = append(calls, "}}"...)
	}
	r := normalizeRole(role0, role)
	b := append(make([]byte, 0, 256), `[{"role":`...)
	b = appendString(b, r)
	if name != "" {
		b = append(b, `,"name":`...)
		b = appendString(b, name)
	}
	if callID != "" {
		b = append(b, `,"tool_call_id":`...)
		b = appendString(b, callID)
	}
	provider := providerOpenAI
	switch {
	case len(parts) > 0:
		b = append(b, `,"content":[`...)
		b = append(b, parts[1:]...)
		b = append(b, ']')
	case !hasContent:
	case content.Type() == pcommon.ValueTypeStr:
		b = append(b, `,"content":`...)
		s := strings.TrimSpace(content.Str())
		if list := rawJSON([]byte(s)); list != nil && s[0] == '[' {
			b = append(b, list...)
			if c.provider == providerAnthropic && len(calls) == 0 {
				provider = providerAnthropic
			}
		} else {
			b = appendString(b, content.Str())
		}
	case content.Type() != pcommon.ValueTypeEmpty:
		b = append(b, `,"content":`...)
		b = appendValue(b, content, 0, nil)
	}
	if len(calls) > 0 {
		b = append(b, `,"tool_calls":[`...)
		b = append(b, calls[1:]...)
		b = append(b, ']')
	}
	b = append(b, "}]"...)
	msgs, ok := tracium.ProviderMessages(provider, b)
	if !ok || len(msgs) != 1 {
		return
	}
	msg := c.cut(msgs[0])
	msg.Role = normalizeRole(msg.Role, role)
	msg.FinishReason, _ = fieldString(finish, 64)
	c.add(msg)
}
