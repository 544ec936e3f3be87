#!/usr/bin/env python3
"""Renders chat templates as Hugging Face's apply_chat_template does (jinja2's
ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, its tojson, raise_exception and
strftime_now) and writes the results that TemplateConformanceTest compares Recall's engine with.

Usage: python3 make_expected.py   (in this folder; needs jinja2 3.1)"""
import json, os, sys
from datetime import datetime
import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = datetime(2024, 7, 26, 14, 5, 9)  # strftime_now's clock in the tests


class Generation(Extension):
    """transformers' AssistantTracker for rendering: {% generation %} is transparent."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[Generation, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda f: NOW.strftime(f)
    return env


TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"]}}}]

CONVERSATIONS = {
    "hello": [{"role": "user", "content": "Hi!"}],
    "system": [
        {"role": "system", "content": "You are helpful. "},
        {"role": "user", "content": " Hi!\n"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "Tell me a joke about naïve café owners 😀."}],
    "thinking": [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n4"},
        {"role": "user", "content": "And 3+3?"}],
    "tools": [
        {"role": "system", "content": "Use tools when useful."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "call_1", "type": "function", "function": {
            "name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "{\"temperature\": 21.5}"},
        {"role": "assistant", "content": "It is 21.5 °C in Paris."}],
}


def render(env, text, variables):
    try:
        return {"expected": env.from_string(text).render(**variables)}
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error": "syntax", "message": str(e)}
    except jinja2.exceptions.TemplateError as e:
        raised = type(e) is jinja2.exceptions.TemplateError
        return {"error": "raised" if raised else type(e).__name__, "message": str(e)}
    except Exception as e:  # TypeError and the like: a failed rendering all the same
        return {"error": type(e).__name__, "message": str(e)}


def main():
    env = environment()
    cases = []
    real = os.path.join(HERE, "real")
    for name in sorted(os.listdir(real)):
        if not name.endswith(".jinja"):
            continue
        with open(os.path.join(real, name), encoding="utf-8") as f:
            text = f.read()
        for conversation, messages in CONVERSATIONS.items():
            for generation_prompt in (True, False):
                variables = {"messages": messages, "add_generation_prompt": generation_prompt,
                             "bos_token": "<s>", "eos_token": "</s>"}
                if conversation == "tools":
                    variables["tools"] = TOOLS
                case = {"name": f"{name} {conversation} {generation_prompt}", "file": "real/" + name,
                        "variables": variables}
                case.update(render(env, text, variables))
                cases.append(case)
    with open(os.path.join(HERE, "features.json"), encoding="utf-8") as f:
        features = json.load(f)
    for i, feature in enumerate(features):
        variables = feature.get("variables", {})
        case = {"name": f"feature {i}: {feature['template'][:60]}", "template": feature["template"],
                "variables": variables}
        case.update(render(env, feature["template"], variables))
        cases.append(case)
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "jinja2 " + jinja2.__version__, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(cases), "cases,", sum("error" in c for c in cases), "of them errors")


if __name__ == "__main__":
    main()
