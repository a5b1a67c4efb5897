#!/usr/bin/env python3
"""Seeded, deterministic generator of a WordPress shop's site files.

Usage:
  scripts/gen_files.py DIR [--scale 1.0] [--seed 1] [--force]
  scripts/gen_files.py DIR --mutate-hour [--scale 1.0] --seed S

Bulk mode writes into DIR (refuses a non-empty DIR unless --force, which
deletes it first):
  - wp-content/uploads/YYYY/MM/: about 1.2 GB x scale of incompressible
    "media": random bytes behind real JPEG/PNG/WebP/MP4/PDF headers, with the
    resized copies WordPress makes (-150x150, -300x300, -768x..., -scaled),
    sizes like real uploads; a few videos of 8-30 MB;
  - wp-content/plugins/*, themes/*, mu-plugins: about 100 MB x scale of
    small PHP/JS/CSS files generated from templates, with vendored libraries
    that are near-duplicates across plugins (prefixed namespaces, versions);
  - edge cases: symlinks (a directory, a file, a dangling one), a file name
    that is not UTF-8 (Latin-1 bytes), names with spaces and emoji, an empty
    file, an empty directory, a hidden file, WooCommerce log files.
--scale 0.01 makes a tiny corpus (about 13 MB) for tests.

--mutate-hour applies one "hour of activity" to an existing corpus: new
uploads in the newest month (with their resized copies), a few code files
edited in the middle, a log file appended to, one file deleted.
Deterministic for a given directory state and --seed (use a new seed for
each hour).
"""
import argparse
import hashlib
import os
import random
import shutil
import struct
import sys
import time
import zlib

CHUNK = 4 * 1024 * 1024
MEDIA_BYTES = 1_200_000_000
CODE_BYTES = 100_000_000
FIRST_MONTH = (2023, 11)
LAST_MONTH = (2026, 10)  # the bulk data; --mutate-hour adds to the newest month found


def rng_for(seed, name):
    h = hashlib.sha256(f"{seed}/{name}".encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


# ---------------------------------------------------------------------------
# Media files: real magic headers, random (incompressible) bodies
# ---------------------------------------------------------------------------

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def header_trailer(kind, size, w, h):
    if kind == "jpg":
        head = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x00H\x00H\x00\x00"
                b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", h, w) + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
                b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00")
        return head, b"\xff\xd9"
    if kind == "png":
        head = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
        body_len = max(0, size - len(head) - 12 - 12)
        return head + struct.pack(">I", body_len) + b"IDAT", b"\0\0\0\0" + png_chunk(b"IEND", b"")
    if kind == "webp":
        head = b"RIFF" + struct.pack("<I", size - 8) + b"WEBPVP8 " + struct.pack("<I", size - 20)
        return head, b""
    if kind == "mp4":
        ftyp = struct.pack(">I", 32) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
        return ftyp + struct.pack(">I", size - 32) + b"mdat", b""
    if kind == "pdf":
        return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 0 >>\nstream\n", b"\nendstream\nendobj\n%%EOF\n"
    raise ValueError(kind)


def write_media(path, kind, size, rng, w=1200, h=1200):
    head, tail = header_trailer(kind, size, w, h)
    body = max(0, size - len(head) - len(tail))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(head)
        while body > 0:
            n = min(body, CHUNK)
            f.write(rng.randbytes(n))
            body -= n
        f.write(tail)
    return len(head) + max(0, size - len(head) - len(tail)) + len(tail)


SIZES = [(150, 150, 0.006), (300, 300, 0.022), (768, 0, 0.11), (1024, 0, 0.19), (1536, 0, 0.38),
         (324, 324, 0.03), (600, 600, 0.09), (100, 100, 0.003)]


def upload(root, ym, name, rng, budget):
    """One upload with WordPress's resized copies. Returns bytes written."""
    d = os.path.join(root, "wp-content", "uploads", f"{ym[0]:04d}", f"{ym[1]:02d}")
    r = rng.random()
    written = 0
    if r < 0.03 and budget > 40_000_000:
        size = rng.randint(8_000_000, 30_000_000)
        written += write_media(os.path.join(d, f"{name}.mp4"), "mp4", size, rng)
        written += write_media(os.path.join(d, f"{name}-poster.jpg"), "jpg", rng.randint(80_000, 300_000), rng)
        return written
    if r < 0.06:
        return write_media(os.path.join(d, f"{name}.pdf"), "pdf", rng.randint(60_000, 2_500_000), rng)
    kind = "jpg" if r < 0.80 else ("png" if r < 0.93 else "webp")
    w = rng.choice((1200, 1600, 2000, 2560, 3024, 4032))
    h = w * rng.choice((3, 4, 4, 9)) // 4 if rng.random() < 0.5 else w
    # originals: phone photos are big, product shots medium, PNG screenshots small
    base = {"jpg": rng.lognormvariate(13.9, 0.6), "png": rng.lognormvariate(12.6, 0.8),
            "webp": rng.lognormvariate(12.2, 0.5)}[kind]
    size = int(min(max(base, 20_000), 9_000_000))
    written += write_media(os.path.join(d, f"{name}.{kind}"), kind, size, rng, w, h)
    if w > 2560:
        written += write_media(os.path.join(d, f"{name}-scaled.{kind}"), kind, int(size * 0.55), rng, 2560, 2560 * h // w)
    for sw, sh, frac in SIZES:
        if sw >= w:
            continue
        hh = sh or sw * h // w
        s = max(2_000, int(size * frac * rng.uniform(0.8, 1.2)))
        written += write_media(os.path.join(d, f"{name}-{sw}x{hh}.{kind}"), kind, s, rng, sw, hh)
        if kind == "jpg" and rng.random() < 0.3:  # an image optimizer's WebP copy
            written += write_media(os.path.join(d, f"{name}-{sw}x{hh}.{kind}.webp"), "webp", int(s * 0.7) + 100, rng, sw, hh)
    return written


def months():
    y, m = FIRST_MONTH
    out = []
    while (y, m) <= LAST_MONTH:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def upload_name(rng, i):
    stem = rng.choice(("IMG", "DSC", "product", "banner", "lookbook", "Screenshot", "hero", "tasse", "mug",
                       "team-photo", "schürze", "kaffee", "sale"))
    return f"{stem}-{i:05d}" if rng.random() < 0.95 else f"{stem} {i} Kopie"


# ---------------------------------------------------------------------------
# Code files: templates with small variations
# ---------------------------------------------------------------------------

WORDS = ("order product cart checkout customer payment gateway shipping zone rate tax coupon stock "
         "settings option cache request response handler controller service provider factory manager "
         "queue job batch export import report widget block template render view asset script style "
         "admin notice logger event listener hook filter action session token nonce user role field "
         "form input validate sanitize escape format price amount total item meta data store query "
         "repository migration schema table column index lookup sync webhook api client http retry").split()


def ident(rng, n=2, sep="_"):
    return sep.join(rng.choice(WORDS) for _ in range(n))


def camel(rng, n=2):
    return "".join(w.capitalize() for w in (rng.choice(WORDS) for _ in range(n)))


PHP_STMTS = [
    "$%(a)s = get_option( '%(p)s_%(b)s', array() );",
    "if ( empty( $%(a)s ) ) {\n\t\t\treturn %(ret)s;\n\t\t}",
    "$%(a)s = apply_filters( '%(p)s_%(b)s', $%(a)s, $this );",
    "do_action( '%(p)s_%(b)s', $%(a)s );",
    "foreach ( $%(a)s as $key => $%(b)s ) {\n\t\t\t$this->%(c)s[ $key ] = sanitize_text_field( $%(b)s );\n\t\t}",
    "$%(a)s = isset( $_POST['%(b)s'] ) ? wc_clean( wp_unslash( $_POST['%(b)s'] ) ) : '';",
    "wp_enqueue_script( '%(p)s-%(b)s', plugins_url( 'assets/js/%(b)s.js', __FILE__ ), array( 'jquery' ), self::VERSION, true );",
    "$%(a)s = $wpdb->get_results( $wpdb->prepare( \"SELECT * FROM {$wpdb->prefix}%(p)s_%(b)s WHERE id = %%d\", $%(c)s ) );",
    "if ( ! current_user_can( 'manage_woocommerce' ) ) {\n\t\t\twp_die( esc_html__( 'Sorry, you are not allowed to do that.', '%(p)s' ) );\n\t\t}",
    "$this->%(c)s = new %(C)s( $%(a)s );",
    "throw new \\InvalidArgumentException( sprintf( 'Invalid %(b)s: %%s', $%(a)s ) );",
    "return wp_json_encode( array( '%(a)s' => $%(a)s, '%(b)s' => $this->%(c)s ) );",
    "// %(comment)s",
    "$%(a)s = (int) $%(b)s + absint( $this->get_%(c)s() );",
]


def php_method(rng, prefix):
    name = ident(rng, rng.randint(2, 3))
    lines = [f"\t/**\n\t * {ident(rng, 4, ' ').capitalize()}.\n\t *\n\t * @param array $args Arguments.\n\t * @return mixed\n\t */",
             f"\tpublic function {name}( $args = array() ) {{"]
    for _ in range(rng.randint(3, 14)):
        t = rng.choice(PHP_STMTS)
        lines.append("\t\t" + t % {"a": ident(rng, 1), "b": ident(rng, 2), "c": ident(rng, 2), "C": camel(rng, 2),
                                   "p": prefix, "ret": rng.choice(("false", "null", "array()", "''", "0")),
                                   "comment": ident(rng, 6, " ")})
    lines.append("\t\treturn $args;\n\t}\n")
    return "\n".join(lines)


def php_file(rng, ns, prefix, version, cls):
    methods = "\n".join(php_method(rng, prefix) for _ in range(rng.randint(3, 18)))
    return (f"<?php\n/**\n * {cls.replace('_', ' ')}\n *\n * @package {ns}\n * @version {version}\n */\n\n"
            f"namespace {ns};\n\ndefined( 'ABSPATH' ) || exit;\n\n"
            f"/**\n * Class {cls}.\n */\nclass {cls} extends {camel(rng, 2)} {{\n\n\tconst VERSION = '{version}';\n\n"
            f"\tprotected ${ident(rng, 2)} = array();\n\n{methods}}}\n")


def js_file(rng, prefix):
    parts = [f"/*! {prefix} | (c) 2026 | GPL-2.0-or-later */", "(function ($, window, undefined) {", "\t'use strict';"]
    for _ in range(rng.randint(4, 30)):
        fn = camel(rng, 2)
        parts.append(f"\tfunction {fn[0].lower() + fn[1:]}({ident(rng, 1)}, {ident(rng, 1)}) {{\n"
                     f"\t\tvar {ident(rng, 1)} = $('.{prefix}-{ident(rng, 2, '-')}');\n"
                     f"\t\tif (!{ident(rng, 1)}) {{ return null; }}\n"
                     f"\t\t$(document.body).trigger('{prefix}_{ident(rng, 2)}', [{ident(rng, 1)}]);\n"
                     f"\t\treturn window.{prefix}Params && window.{prefix}Params.{ident(rng, 1)};\n\t}}")
    parts.append("})(jQuery, window);\n")
    return "\n".join(parts)


def css_file(rng, prefix):
    rules = []
    for _ in range(rng.randint(10, 80)):
        sel = f".{prefix}-{ident(rng, 2, '-')}" + rng.choice(("", " a", ":hover", " .button", " > li", "::before"))
        props = ";".join(f"{rng.choice(('margin', 'padding', 'color', 'border', 'font-size', 'display', 'width'))}:"
                         f"{rng.choice(('0', '1em', '#333', '#fff', '12px', 'flex', 'none', '100%', 'auto'))}"
                         for _ in range(rng.randint(1, 6)))
        rules.append(f"{sel}{{{props}}}")
    return "\n".join(rules) + "\n"


class CodeGen:
    """Plugins and themes; vendored libraries are shared (with small changes) between plugins."""

    def __init__(self, seed):
        self.seed = seed
        rng = rng_for(seed, "libs")
        self.libs = []  # (lib name, [(relpath, template text)])
        for li in range(24):
            lib = f"{rng.choice(('league', 'symfony', 'guzzlehttp', 'psr', 'automattic', 'monolog', 'composer'))}/{ident(rng, 2, '-')}"
            files = []
            for fi in range(rng.randint(15, 70)):
                cls = camel(rng, 2)
                files.append((f"src/{camel(rng, 1)}/{cls}.php", php_file(rng, "@NS@", "lib", "@VER@", cls)))
            self.libs.append((lib, files))

    def plugin(self, root, index, rng):
        slug = f"{ident(rng, 2, '-')}-{index}"
        prefix = slug.replace("-", "_")[:20]
        ns = camel(rng, 2) + f"\\{camel(rng, 1)}"
        version = f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
        base = os.path.join(root, "wp-content", "plugins", slug)
        out = {}
        out[f"{slug}.php"] = (f"<?php\n/**\n * Plugin Name: {slug.replace('-', ' ').title()}\n * Version: {version}\n"
                              f" * Requires at least: 6.1\n * Requires PHP: 7.4\n * Text Domain: {prefix}\n */\n\n"
                              f"defined( 'ABSPATH' ) || exit;\n\nrequire_once __DIR__ . '/vendor/autoload.php';\n"
                              f"\\{ns}\\Plugin::instance( __FILE__ );\n")
        out["readme.txt"] = f"=== {slug} ===\nStable tag: {version}\nLicense: GPLv2 or later\n\n" + ident(rng, 80, " ") + "\n"
        for _ in range(rng.randint(8, 40)):
            cls = "Class_" + camel(rng, 2)
            out[f"includes/class-{ident(rng, 2, '-')}.php"] = php_file(rng, ns, prefix, version, cls)
        for _ in range(rng.randint(2, 12)):
            out[f"assets/js/{ident(rng, 2, '-')}.js"] = js_file(rng, prefix)
            out[f"assets/css/{ident(rng, 2, '-')}.css"] = css_file(rng, prefix)
        # vendored libraries: the same files as in other plugins, namespace-prefixed and versioned
        vprefix = f"{camel(rng, 1)}Vendor"
        for lib, files in rng.sample(self.libs, rng.randint(2, 6)):
            lver = f"{rng.randint(1, 3)}.{rng.randint(0, 9)}.{rng.randint(0, 4)}"
            for rel, text in files:
                t = text.replace("@NS@", f"{vprefix}\\{lib.split('/')[0].capitalize()}").replace("@VER@", lver)
                if rng.random() < 0.05:  # a patched copy
                    t = t.replace("return $args;", "return apply_filters( 'patched', $args );", 1)
                out[f"vendor/{lib}/{rel}"] = t
        out["vendor/autoload.php"] = f"<?php\n// autoload.php @generated by Composer\nreturn ComposerAutoloaderInit{hashlib.md5(slug.encode()).hexdigest()}::getLoader();\n"
        out[f"languages/{prefix}-de_DE.po"] = "".join(
            f'msgid "{ident(rng, 4, " ").capitalize()}"\nmsgstr "{ident(rng, 4, " ").capitalize()} (de) – Größe"\n\n'
            for _ in range(rng.randint(20, 200)))
        written = 0
        for rel, text in sorted(out.items()):
            p = os.path.join(base, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            data = text.encode()
            with open(p, "wb") as f:
                f.write(data)
            written += len(data)
        return written, len(out)

    def theme(self, root, name, rng, n):
        base = os.path.join(root, "wp-content", "themes", name)
        written = 0
        files = {"style.css": f"/*\nTheme Name: {name}\nVersion: 4.6.0\n*/\n" + css_file(rng, name),
                 "functions.php": php_file(rng, "Theme\\" + name.capitalize(), name, "4.6.0", "Theme_Setup")}
        for _ in range(n):
            files[f"inc/{ident(rng, 2, '-')}.php"] = php_file(rng, "Theme\\" + name.capitalize(), name, "4.6.0", camel(rng, 2))
            files[f"assets/js/{ident(rng, 1)}.js"] = js_file(rng, name)
        for rel, text in sorted(files.items()):
            p = os.path.join(base, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(text.encode())
            written += len(text.encode())
        return written, len(files)


# ---------------------------------------------------------------------------
# Modes
# ---------------------------------------------------------------------------

def bulk(a):
    t0 = time.time()
    root = a.dir
    if os.path.exists(root) and os.listdir(root):
        if not a.force:
            raise SystemExit(f"gen_files: {root} is not empty (use --force to delete and regenerate)")
        print(f"gen_files: --force: deleting {root}", file=sys.stderr)
        shutil.rmtree(root)
    os.makedirs(root, exist_ok=True)
    # top-level site files
    rng = rng_for(a.seed, "site")
    with open(os.path.join(root, "wp-config.php"), "w") as f:
        f.write("<?php\ndefine( 'DB_NAME', 'shop' );\ndefine( 'DB_USER', 'wp' );\ndefine( 'DB_PASSWORD', 'wp' );\n"
                "define( 'DB_HOST', '127.0.0.1:33306' );\n$table_prefix = 'wp_';\n"
                + "".join(f"define( '{k}', '{hashlib.sha256(f'{a.seed}{k}'.encode()).hexdigest()}' );\n"
                          for k in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY"))
                + "require_once ABSPATH . 'wp-settings.php';\n")
    with open(os.path.join(root, ".htaccess"), "w") as f:
        f.write("# BEGIN WordPress\nRewriteEngine On\nRewriteRule ^index\\.php$ - [L]\n# END WordPress\n")
    with open(os.path.join(root, "index.php"), "w") as f:
        f.write("<?php\ndefine( 'WP_USE_THEMES', true );\nrequire __DIR__ . '/wp-blog-header.php';\n")
    # media
    media_budget = int(MEDIA_BYTES * a.scale)
    mrng = rng_for(a.seed, "media")
    ms = months()
    media, n_uploads, i = 0, 0, 0
    while media < media_budget:
        ym = ms[min(len(ms) - 1, int(len(ms) * (i * 0.618034 % 1.0) ** 0.7))]  # later months get more uploads
        media += upload(root, ym, upload_name(mrng, i), mrng, media_budget - media)
        n_uploads += 1
        i += 1
    # code
    code_budget = int(CODE_BYTES * a.scale)
    cg = CodeGen(a.seed)
    crng = rng_for(a.seed, "code")
    code, n_code = 0, 0
    for name, n in (("storefront", 40), ("storefront-child", 6)):
        w, c = cg.theme(root, name, crng, max(1, int(n * min(1.0, a.scale * 10))))
        code, n_code = code + w, n_code + c
    pi = 0
    while code < code_budget:
        w, c = cg.plugin(root, pi, crng)
        code, n_code, pi = code + w, n_code + c, pi + 1
    # edge cases
    up = os.path.join(root, "wp-content", "uploads")
    os.makedirs(os.path.join(up, "wc-logs"), exist_ok=True)
    for d in range(3):
        with open(os.path.join(up, "wc-logs", f"fatal-errors-2026-10-{29 + d}-{hashlib.md5(str(d).encode()).hexdigest()}.log"), "w") as f:
            for k in range(int(200 * max(a.scale, 0.05))):
                f.write(f"2026-10-{29 + d}T{k % 24:02d}:00:00+00:00 CRITICAL Uncaught Error: Call to a member function "
                        f"get_id() on null in /wp-content/plugins/x/includes/class-foo.php:{crng.randint(1, 900)}\n")
    with open(os.path.join(up, "wc-logs", ".htaccess"), "w") as f:
        f.write("deny from all\n")
    open(os.path.join(up, "wc-logs", "index.html"), "w").close()  # empty file
    os.makedirs(os.path.join(root, "wp-content", "upgrade"), exist_ok=True)  # empty directory
    newest = os.path.join(up, f"{LAST_MONTH[0]:04d}", f"{LAST_MONTH[1]:02d}")
    os.makedirs(newest, exist_ok=True)
    write_media(os.path.join(newest, "Über uns – Café 🍰.jpg"), "jpg", 150_000, mrng)
    write_media(os.fsencode(os.path.join(newest, "")) + b"caf\xe9-men\xfc-latin1.pdf", "pdf", 90_000, mrng)  # not UTF-8
    os.symlink(f"{LAST_MONTH[0]:04d}/{LAST_MONTH[1]:02d}", os.path.join(up, "latest"))  # directory symlink
    plugins = sorted(os.listdir(os.path.join(root, "wp-content", "plugins")))
    if plugins:
        os.symlink(f"../plugins/{plugins[0]}/readme.txt", os.path.join(root, "wp-content", "readme-link.txt"))
    os.symlink("../cache/does-not-exist", os.path.join(root, "wp-content", "dangling-link"))
    mu = os.path.join(root, "wp-content", "mu-plugins")
    os.makedirs(mu, exist_ok=True)
    with open(os.path.join(mu, "strongbox-loader.php"), "w") as f:
        f.write("<?php\n// Must-use loader.\n")
    dt = time.time() - t0
    total = media + code
    print(f"gen_files: {root}: {n_uploads} uploads ({media / 1e6:.1f} MB media), {n_code} code files in {pi} plugins + 2 themes "
          f"({code / 1e6:.1f} MB), total {total / 1e6:.1f} MB in {dt:.1f} s", file=sys.stderr)


def walk_files(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(d, name)
            if not os.path.islink(p):
                out.append(p)
    return out


def mutate_hour(a):
    t0 = time.time()
    root = a.dir
    up = os.path.join(root, "wp-content", "uploads")
    if not os.path.isdir(up):
        raise SystemExit(f"gen_files: {root} has no wp-content/uploads; generate it first")
    years = sorted(d for d in os.listdir(up) if d.isdigit() and len(d) == 4)
    if not years:
        raise SystemExit("gen_files: no uploads/YYYY directory")
    mm = sorted(d for d in os.listdir(os.path.join(up, years[-1])) if d.isdigit())
    ym = (int(years[-1]), int(mm[-1]))
    rng = rng_for(a.seed, f"hour/{ym}")
    # 1. new uploads (about 25 MB x scale)
    budget = int(25_000_000 * a.scale)
    written, n_new, i = 0, 0, 0
    while written < budget:
        written += upload(root, ym, f"hour{a.seed}-{upload_name(rng, i)}", rng, 0)  # no videos in an hour
        n_new += 1
        i += 1
    # 2. a few code files edited in the middle
    code = [p for p in walk_files(os.path.join(root, "wp-content", "plugins")) if p.endswith((".php", ".js", ".css"))]
    edited = sorted(rng.sample(code, min(len(code), 4)))
    for p in edited:
        with open(p, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        k = len(lines) // 2 + rng.randrange(-3, 4)
        lines.insert(max(0, min(len(lines), k)), f"// edited in hour {a.seed}: {hashlib.md5(p.encode(errors='surrogateescape')).hexdigest()}".encode())
        with open(p, "wb") as f:
            f.write(b"\n".join(lines))
    # 3. a log file grows
    logs = sorted(os.listdir(os.path.join(up, "wc-logs"))) if os.path.isdir(os.path.join(up, "wc-logs")) else []
    logs = [l for l in logs if l.endswith(".log")]
    if logs:
        with open(os.path.join(up, "wc-logs", logs[-1]), "a") as f:
            for k in range(20):
                f.write(f"2026-11-01T00:{k:02d}:00+00:00 ERROR Payment failed for order {rng.randint(1000, 999999)} (hour {a.seed})\n")
    # 4. one file deleted: an old resized copy (WordPress regenerating thumbnails)
    thumbs = [p for p in walk_files(up) if "-150x150." in os.path.basename(p)]
    deleted = rng.choice(thumbs) if thumbs else None
    if deleted:
        os.remove(deleted)
    print(f"gen_files: hour {a.seed} in {ym[0]:04d}/{ym[1]:02d}: {n_new} new uploads ({written / 1e6:.1f} MB), "
          f"{len(edited)} code files edited, {'1 log appended, ' if logs else ''}deleted "
          f"{os.path.relpath(deleted, root) if deleted else 'nothing'} in {time.time() - t0:.1f} s", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("dir")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--force", action="store_true", help="delete DIR first if it is not empty")
    ap.add_argument("--mutate-hour", action="store_true")
    a = ap.parse_args()
    if a.scale <= 0:
        raise SystemExit("gen_files: --scale must be > 0")
    a.dir = os.path.abspath(a.dir)
    if a.mutate_hour:
        mutate_hour(a)
    else:
        bulk(a)


if __name__ == "__main__":
    main()
