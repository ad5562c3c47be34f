"""Clean final answers from MARS's synthesis: optillm 0.4.0 ``optillm/mars/answer_extraction.py``.

``auto`` picks code (a fence or a code keyword), math (LaTeX markers) or generic text; code keeps
the last fenced block, math the last ``\\boxed{}``, generic the text after the last conclusion
marker (or the last paragraph; the last three for a proof). The answer is then appended to the
full synthesis wrapped in ``<think>`` tags.
"""

from __future__ import annotations

import re

CODE_INDICATORS = ["```", "def ", "import ", "class ", "return ", "for ", "while "]
MATH_INDICATORS = ["\\boxed", "\\frac", "\\sum", "\\int", "$$", "$\\"]
PROOF_INDICATORS = ["proof", "QED", "proven", "demonstrate", "show that", "prove that"]
CONCLUSION_MARKERS = ["In conclusion", "Therefore", "Thus", "Hence", "Finally", "The answer is", "The final answer"]
MATH_FINAL_PATTERNS = [
    r"[Ff]inal answer[:\s]+(.+?)(?:\n|$)",
    r"[Tt]he answer is[:\s]+(.+?)(?:\n|$)",
    r"[Tt]herefore[,\s]+(.+?)(?:\n|$)",
]
_CODE_BLOCK = re.compile(r"```(?:python|cpp|java|javascript|go|rust)?\n(.*?)\n```", re.DOTALL)
_CODE_SECTION = re.compile(r"\n#+\s+(?:Final Solution|Solution|Implementation|Code)\s*\n", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{([^}]+)\}")
_AFTER_THINK = re.compile(r"</think>\s*(.+)", re.DOTALL)


def extract_clean_answer(text: str, mode: str = "auto") -> str:
    if mode == "none":
        return text
    if mode == "auto":
        mode = detect_answer_type(text)
    if mode == "code":
        return extract_code_answer(text)
    if mode == "math":
        return extract_math_answer(text)
    return extract_generic_answer(text)


def detect_answer_type(text: str) -> str:
    if any(indicator in text for indicator in CODE_INDICATORS):
        return "code"
    if any(indicator in text for indicator in MATH_INDICATORS):
        return "math"
    return "generic"


def extract_code_answer(text: str) -> str:
    blocks = _CODE_BLOCK.findall(text)
    if blocks:
        return f"```python\n{blocks[-1].strip()}\n```"
    sections = _CODE_SECTION.split(text)
    if len(sections) > 1:
        return sections[-1].strip()
    parts = text.split("###")
    if len(parts) > 1:
        return parts[-1].strip()
    return text


def extract_math_answer(text: str) -> str:
    boxed = _BOXED.findall(text)
    if boxed:
        return f"The final answer is $\\boxed{{{boxed[-1]}}}$"
    for pattern in MATH_FINAL_PATTERNS:
        matches = re.findall(pattern, text)
        if matches:
            return matches[-1].strip()
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    if paragraphs:
        return paragraphs[-1]
    return text


def extract_generic_answer(text: str) -> str:
    is_proof = any(indicator.lower() in text.lower() for indicator in PROOF_INDICATORS)
    for marker in CONCLUSION_MARKERS:
        if marker in text:
            parts = text.rsplit(marker, 1)
            if len(parts) > 1:
                first_para = parts[1].strip().split("\n\n")[0].strip()
                if len(first_para) > 20:
                    return first_para
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    if is_proof and paragraphs:
        if len(paragraphs) >= 3:
            return "\n\n".join(paragraphs[-3:])
        return text
    if paragraphs:
        return paragraphs[-1]
    sentences = [s.strip() for s in text.split(".") if s.strip()]
    if sentences:
        return sentences[-1] + "."
    return text


def wrap_with_thinking_tags(reasoning: str, final_answer: str) -> str:
    return f"<think>\n{reasoning}\n</think>\n\n{final_answer}"


def get_answer_after_thinking(text: str) -> str:
    match = _AFTER_THINK.search(text)
    return match.group(1).strip() if match else text
