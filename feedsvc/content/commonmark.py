"""Markdown to HTML: CommonMark with GitHub's tables, by cmark-gfm, the reference
implementation in C (four times markdown-it-py's speed: 0.055 ms an article of 3-8 KB,
against 0.22; 3.3 s of a 20,000-article first build).

cmarkgfm's own `markdown_to_html_with_extensions` frees neither the document it parses
nor the HTML string cmark hands back (cmark's API leaves both to the caller): 23 KB an
article, never returned, which grew each process that reads a store by 2.3 GB over
200,000 articles. Here both are freed, by the functions cmark exports for it, called
through ctypes on the library cmarkgfm loaded (its bindings do not declare them).
"""

import ctypes
import functools
from dataclasses import dataclass
from typing import Any

# Raw HTML kept: the sanitiser has the last word on it.
TABLES = "table"


@dataclass(frozen=True)
class _Cmark:
    cmark: Any  # cmarkgfm.cmark
    lib: Any  # its compiled library, through cffi
    ffi: Any
    table: Any  # the table extension
    node_free: Any  # cmark_node_free(node), through ctypes
    free: Any  # the allocator's free(pointer), through ctypes
    options: int


@functools.cache
def _loaded() -> _Cmark:
    """Imported when first needed: a build that reads no Markdown file skips it."""
    from cmarkgfm import _cmark, cmark

    native = ctypes.CDLL(_cmark.__file__)  # the library already loaded: the same one
    node_free = native.cmark_node_free
    node_free.argtypes, node_free.restype = [ctypes.c_void_p], None

    class Mem(ctypes.Structure):  # cmark_mem: calloc, realloc, free
        _fields_ = [
            ("calloc", ctypes.c_void_p),
            ("realloc", ctypes.c_void_p),
            ("free", ctypes.CFUNCTYPE(None, ctypes.c_void_p)),
        ]

    allocator = native.cmark_get_default_mem_allocator
    allocator.argtypes, allocator.restype = [], ctypes.POINTER(Mem)
    cmark.core_extensions_ensure_registered()
    return _Cmark(
        cmark,
        _cmark.lib,
        _cmark.ffi,
        cmark.find_syntax_extension(TABLES),
        node_free,
        allocator().contents.free,
        cmark.Options.CMARK_OPT_UNSAFE,
    )


def to_html(text: str) -> str:
    """The HTML of a Markdown text."""
    c = _loaded()
    parser = c.cmark.parser_new(options=c.options)
    try:
        c.cmark.parser_attach_syntax_extension(parser, c.table)
        c.cmark.parser_feed(parser, text)
        document = c.cmark.parser_finish(parser)
        try:
            extensions = c.cmark.parser_get_syntax_extensions(parser)
            made = c.lib.cmark_render_html(document, c.options, extensions)
            try:
                return c.ffi.string(made).decode("utf-8")
            finally:
                c.free(_address(c.ffi, made))
        finally:
            c.node_free(_address(c.ffi, document))
    finally:
        c.cmark.parser_free(parser)


def _address(ffi: Any, pointer: Any) -> int:
    return int(ffi.cast("uintptr_t", pointer))
