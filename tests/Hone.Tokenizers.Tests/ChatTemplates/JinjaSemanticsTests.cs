using System.Text.Json.Nodes;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>
/// Interpreter semantics, each case checked against the output of Jinja2 3.1.6 itself under Hugging Face's settings
/// (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, tojson = json.dumps(ensure_ascii=False)).
/// A null expectation means Jinja2 raised an error, so Hone must raise <see cref="ChatTemplateException"/>.
/// </summary>
public class JinjaSemanticsTests
{
    public static TheoryData<string, string, string?> Cases => new()
    {
        { "a\n  {% if true %}\n    x\n  {% endif %}\nb\n", "{}", "a\n    x\nb" },
        { "a  {%- if true -%}  x  {%- endif -%}  b", "{}", "axb" },
        { "{{ 'x' }}\n{{ 'y' }}\n", "{}", "x\ny" },
        { "  {%+ if true %}x{% endif %}\n", "{}", "  x" },
        { "{% if true +%}\nx{% endif %}", "{}", "\nx" },
        { "a {# comment #}\nb\n  {# c2 #}\nc", "{}", "a b\nc" },
        { "{%- for i in range(3) %}\n  {{ i }}\n{%- endfor %}", "{}", "  0  1  2" },
        { "line1\r\nline2\r\n{{ 'x' }}\n\n", "{}", "line1\nline2\nx\n" },
        { "{% raw %}{{ not }}{% endraw %}", "{}", "{{ not }}" },
        { "{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }};{% endfor %}", "{\"xs\": [\"a\", \"b\", \"c\"]}", "1/0/3/2/True/False/3;2/1/2/1/False/False/3;3/2/1/0/False/True/3;" },
        { "{% for x in xs if x > 1 %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}", "{\"xs\": [1, 2, 3]}", "2232" },
        { "{% for x in xs %}{{ x }}{% else %}empty{% endfor %}", "{\"xs\": []}", "empty" },
        { "{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "{\"xs\": [1, 2, 3, 4, 5]}", "13" },
        { "{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}", "{\"d\": {\"a\": 1, \"b\": [1, 2]}}", "a=1,b=[1, 2]," },
        { "{% for k in d %}{{ k }}{% endfor %}", "{\"d\": {\"x\": 1, \"y\": 2}}", "xy" },
        { "{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}", "{}", "37" },
        { "{% for x in xs %}{{ loop.previtem }}-{{ loop.nextitem }};{% endfor %}", "{\"xs\": [1, 2, 3]}", "-2;1-3;2-;" },
        { "{% for x in xs %}{{ loop.cycle('odd', 'even') }}{% endfor %}", "{\"xs\": [1, 2, 3]}", "oddevenodd" },
        { "{% for x in 'abc' %}{{ x }}.{% endfor %}", "{}", "a.b.c." },
        { "{% for i in range(2) %}{% for j in range(2) %}{{ loop.index }}{{ i }}{{ j }} {% endfor %}{{ loop.index }}|{% endfor %}", "{}", "100 201 1|110 211 2|" },
        { "{% set x = 1 %}{% for i in range(2) %}{% set x = x + 10 %}{{ x }};{% endfor %}{{ x }}", "{}", "11;11;1" },
        { "{% set ns = namespace(x=1, items=[]) %}{% for i in range(3) %}{% set ns.x = ns.x * 2 %}{% endfor %}{{ ns.x }}", "{}", "8" },
        { "{% set ns = namespace() %}{% set ns.a = 'q' %}{{ ns.a }}{{ ns.b is defined }}", "{}", "qFalse" },
        { "{% if true %}{% set y = 5 %}{% endif %}{{ y }}", "{}", "5" },
        { "{% set a, b = 1, 2 %}{{ a }}{{ b }}", "{}", "12" },
        { "{% set s %}  block {{ 1 + 1 }}  {% endset %}[{{ s }}]", "{}", "[  block 2  ]" },
        { "{% set s | trim | upper %}  block  {% endset %}[{{ s }}]", "{}", "[BLOCK]" },
        { "{% macro m(a, b='d', c=none) %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }}|{{ m(1, 2, 3) }}|{{ m(1, c=4) }}", "{}", "1-d-None|1-2-3|1-d-4" },
        { "{% macro m() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}", "{}", "(1, 2){'k': 3}" },
        { "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(4) }}", "{}", "4321" },
        { "{% macro w() %}<{{ caller() }}>{% endmacro %}{% call w() %}inner{% endcall %}", "{}", "<inner>" },
        { "{% macro w() %}<{{ caller(5) }}>{% endmacro %}{% call(x) w() %}got {{ x }}{% endcall %}", "{}", "<got 5>" },
        { "{% filter upper %}hello {{ 'x' }}{% endfilter %}", "{}", "HELLO X" },
        { "{%- set x = 'top' %}{% macro m() %}{{ x }}{% endmacro %}{{ m() }}", "{}", "top" },
        { "{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1.5 + 1 }}", "{}", "7 3 -4 1 2 3.5 2.0 1024 0.5 2.5" },
        { "{{ 'ab' * 3 }} {{ [1] * 3 }} {{ 'a' ~ 1 ~ none ~ true }} {{ 'a' + 'b' }} {{ [1, 2] + [3] }}", "{}", "ababab [1, 1, 1] a1NoneTrue ab [1, 2, 3]" },
        { "{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 5 }} {{ 'a' in 'cat' }} {{ 2 not in [1, 3] }} {{ 'k' in {'k': 1} }}", "{}", "True True True True False True True True" },
        { "{{ x if x else 'no' }} {{ 'y' if false }}|{{ none or 'z' }} {{ 0 and 5 }} {{ 1 and 5 }} {{ not none }}", "{\"x\": 0}", "no |z 0 5 True" },
        { "{{ none }} {{ true }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1e-5 }} {{ 123456789012345678 }} {{ 2.5e15 }} {{ 1e16 }}", "{}", "None True 1.0 0.30000000000000004 1e+20 1e-05 123456789012345678 2500000000000000.0 1e+16" },
        { "{{ [1, 'a', none, true, 1.5, {'k': 'v'}] }} {{ (1,) }} {{ (1, 2) }} {{ {'a': [1, {'b': none}]} }} {{ \"it's\" }} {{ ['it\\'s', 'q\"'] }}", "{}", "[1, 'a', None, True, 1.5, {'k': 'v'}] (1,) (1, 2) {'a': [1, {'b': None}]} it's [\"it's\", 'q\"']" },
        { "{{ 'a\\tb\\n' }}|{{ 'caf\\u00e9' }}|{{ '\\x41' }}", "{}", "a\tb\n|caf\u00e9|A" },
        { "{{ s[1:] }} {{ s[-2:] }} {{ s[::-1] }} {{ s[::2] }} {{ s[10:] }} {{ xs[1] }} {{ xs[-1] }} {{ xs[1:3] }}", "{\"s\": \"hello\", \"xs\": [1, 2, 3, 4]}", "ello lo olleh hlo  2 4 [2, 3]" },
        { "{{ d.a }} {{ d['a'] }} {{ d.missing is defined }} {{ d.get('a') }} {{ d.get('z', 'dflt') }} {{ d.get('z') }}", "{\"d\": {\"a\": 5}}", "5 5 False 5 dflt None" },
        { "{{ d['items'] }}", "{\"d\": {\"items\": 1}}", "1" },
        { "{{ x.y.z }}", "{}", null },
        { "{{ x.y }}|", "{\"x\": null}", "|" },
        { "{{ undefinedvar }}|{{ undefinedvar is defined }}|{{ undefinedvar | length }}|{% for a in undefinedvar %}x{% endfor %}|{{ undefinedvar == none }}", "{}", "|False|0||False" },
        { "{{ 'a' + undefinedvar }}", "{}", null },
        { "{{ 'a' + 1 }}", "{}", null },
        { "{{ {'a': 1} + 'x' }}", "{}", null },
        { "{{ [1,2] + 'x' }}", "{}", null },
        { "{{ 1 < 'a' }}", "{}", null },
        { "{{ 1 / 0 }}", "{}", null },
        { "{{ x is string }}{{ x is mapping }}{{ x is iterable }}{{ x is sequence }}{{ x is number }}{{ x is none }}{{ x is defined }}", "{\"x\": \"s\"}", "TrueFalseTrueTrueFalseFalseTrue" },
        { "{{ x is string }}{{ x is mapping }}{{ x is iterable }}{{ x is sequence }}{{ x is number }}", "{\"x\": {\"a\": 1}}", "FalseTrueTrueTrueFalse" },
        { "{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ 1 is equalto 1 }}{{ 'a' is eq 'a' }}{{ true is boolean }}{{ 1 is integer }}{{ 1.0 is float }}{{ true is number }}", "{}", "TrueTrueTrueFalseTrueTrueTrueTrueTrueTrue" },
        { "{{ x is true }}{{ x is false }}{{ none is none }}{{ x is not none }}{{ 'A' is upper }}{{ 'a' is lower }}", "{\"x\": true}", "TrueFalseTrueTrueTrueTrue" },
        { "{{ u is iterable }}{{ u is sequence }}{{ u is mapping }}{{ u is string }}", "{}", "TrueTrueFalseFalse" },
        { "{{ '  x  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'Hello World' | upper }}|{{ 'HeLLo' | lower }}|{{ 'hello wORLD-foo (bar' | title }}|{{ 'hELLO' | capitalize }}", "{}", "x|a|HELLO WORLD|hello|Hello World-Foo (Bar|Hello" },
        { "{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ [] | tojson(indent=2) }}|{{ {} | tojson }}|{{ '\u00e9\"\\n\\u0001' | tojson }}|{{ 1.0 | tojson }}|{{ none | tojson }}", "{\"d\": {\"a\": [1, 2.5, true, null, \"\u00fc\"], \"b\": {}}}", "{\"a\": [1, 2.5, true, null, \"\u00fc\"], \"b\": {}}|{\n  \"a\": [\n    1,\n    2.5,\n    true,\n    null,\n    \"\u00fc\"\n  ],\n  \"b\": {}\n}|[]|{}|\"\u00e9\\\"\\n\\u0001\"|1.0|null" },
        { "{{ d | tojson(sort_keys=true) }}", "{\"d\": {\"b\": 1, \"a\": 2}}", "{\"a\": 2, \"b\": 1}" },
        { "{{ [1,2,3] | length }} {{ 'abc' | count }} {{ {'a':1} | length }} {{ x | default('dflt') }} {{ '' | default('e', true) }} {{ none | default('n') }} {{ x | d('d2') }}", "{}", "3 3 1 dflt e None d2" },
        { "{{ d | items | list }}", "{\"d\": {\"a\": 1, \"b\": 2}}", "[('a', 1), ('b', 2)]" },
        { "{{ 'abc' | list }} {{ [3,1] | first }} {{ [3,1] | last }} {{ [] | first }}|{{ ['a','b'] | join(', ') }} {{ [1,2] | join }} {{ 'aXbX' | replace('X', '-') }} {{ 'aaa' | replace('a', 'b', 2) }}", "{}", "['a', 'b', 'c'] 3 1 |a, b 12 a-b- bba" },
        { "{{ 1 | string }}{{ '12' | int + 1 }} {{ '1.7' | int }} {{ 'x' | int }} {{ 'x' | int(5) }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 'q' | float }} {{ -3 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 3 | round }}", "{}", "113 1 0 5 3 2.5 0.0 3 2.57 2.0 3" },
        { "{{ users | map(attribute='name') | list }} {{ users | selectattr('admin') | map(attribute='name') | join(',') }} {{ users | rejectattr('admin') | list | length }} {{ users | selectattr('name', 'equalto', 'b') | list }}", "{\"users\": [{\"name\": \"a\", \"admin\": true}, {\"name\": \"b\", \"admin\": false}]}", "['a', 'b'] a 1 [{'name': 'b', 'admin': False}]" },
        { "{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('odd') | list }} {{ [0, 1, '', 'a'] | select | list }} {{ ['a', 'b'] | map('upper') | list }}", "{}", "[1, 3] [2, 4] [1, 'a'] ['A', 'B']" },
        { "{{ ['b', 'A', 'a', 'B'] | unique | list }} {{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} {{ [1, 2] | reverse | list }} {{ 'abc' | reverse }}", "{}", "['b', 'A'] [1, 2, 3] ['A', 'b', 'c'] [3, 2, 1] [2, 1] cba" },
        { "{{ users | sort(attribute='age') | map(attribute='n') | join }}", "{\"users\": [{\"n\": \"x\", \"age\": 3}, {\"n\": \"y\", \"age\": 1}]}", "yx" },
        { "{{ 'one two  three' | wordcount }} {{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(4, first=true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}", "{}", "3 a\n  b\n\n  c|    a\n    b|a\n  \n  b" },
        { "{{ x | safe }}{{ '<a>' | e }}", "{\"x\": \"<b>\"}", "<b>&lt;a&gt;" },
        { "{{ [1, 2, 3] | sum }} {{ [3, 1, 2] | max }} {{ [3, 1, 2] | min }} {{ {'b': 1, 'a': 2} | dictsort }}", "{}", "6 3 1 [('a', 2), ('b', 1)]" },
        { "{{ none | selectattr('x') | list }} {{ none | map(attribute='x') | list }}", "{}", "[] []" },
        { "{{ s.startswith('he') }}{{ s.endswith(('x', 'lo')) }}|{{ '  a b  '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'xxaxx'.rstrip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}", "{\"s\": \"hello\"}", "TrueTrue|a b|axx|xxa|['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|['a b', 'c']" },
        { "{{ 'abc'.upper() }}{{ 'ABC'.lower() }}{{ 'ab cd'.title() }}{{ 'abcb'.replace('b', 'x') }}{{ 'abcb'.find('b') }}{{ 'abcb'.find('z') }}{{ 'abcb'.count('b') }}{{ '{} and {}'.format(1, 'x') }}{{ '-'.join(['a', 'b']) }}", "{}", "ABCabcAb Cdaxcx1-121 and xa-b" },
        { "{{ s.split('</think>')[-1] }}", "{\"s\": \"<think>hm</think>answer\"}", "answer" },
        { "{{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }}", "{\"d\": {\"a\": 1, \"b\": 2}}", "['a', 'b'] [1, 2] [('a', 1), ('b', 2)]" },
        { "{{ 'x'.nosuch() }}", "{}", null },
        { "{{ [1].append(2) }}", "{}", null },
        { "{{ ''.__class__ }}", "{}", "" },
        { "{{ x.__class__ }}|{{ x._private }}", "{\"x\": {\"_private\": 1}}", "|1" },
        { "{{ raise_exception('boom') }}", "{}", null },
        { "{{ strftime_now('%d %b %Y') }}", "{}", "21 Nov 2026" },
        { "{{ range(5) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }}", "{}", "[0, 1, 2, 3, 4] [1, 4, 7] [5, 3, 1]" },
        { "{{ dict(a=1) }}", "{}", "{'a': 1}" },
        { "{% for m in messages %}{{ m.role }}:{{ m['content'] }}{% if not loop.last %}\n{% endif %}{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}", "user:hiassistant:yo" },
        { "{{ (messages | selectattr('role', 'equalto', 'user') | list)[-1].content }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}]}", "b" },
        { "{{ messages[0] == messages[1] }} {{ messages[0] == messages[0] }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}]}", "False True" },
        { "{% if x %}a{% elif y %}b{% else %}c{% endif %}", "{\"x\": false, \"y\": true}", "b" },
        { "{{ '%s' }}", "{}", "%s" },
        { "{{ \"a\" \"b\" }} {{ 1_000 }} {{ 0.5e1 }}", "{}", "ab 1000 5.0" },
        { "{{ 'x' | tojson(indent=2) }} {{ [[1, [2]], {'a': {}}] | tojson(indent=1) }}", "{}", "\"x\" [\n [\n  1,\n  [\n   2\n  ]\n ],\n {\n  \"a\": {}\n }\n]" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_as_jinja2(string template, string variablesJson, string? expected)
    {
        var vars = JsonNode.Parse(variablesJson)!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone());
        var input = new ChatRenderInput { Messages = [], Variables = vars, StrftimeNow = "21 Nov 2026" };
        var t = ChatTemplate.Parse(template);
        if (expected is null)
        {
            var ex = Assert.Throws<ChatTemplateException>(() => t.Render(input));
            Assert.True(ex.Line >= 1 && ex.Column >= 1, ex.Message);
            return;
        }
        Assert.Equal(expected, t.Render(input).Text);
    }
}
