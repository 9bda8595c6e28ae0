"""Photo -> ink map: bright ink on black plus labelled ink components, robust to real lighting.

Steps (``ink_map``):

1. darkness source: the photo's luma (blue, purple and red ink stay clearly darker than paper,
   light blue rules get lighter);
2. working resolution: a photo larger than ``PREVIEW_PX`` is first read at that size to
   estimate the text height; small text in a large photo (12 MP) is re-read at a resolution
   where capitals are ~``TARGET_TEXT_PX`` tall, and text under ``MIN_TEXT_PX`` in a photo read
   at full size (a small photo, text far from the webcam) is read again enlarged up to
   ``MAX_UPSCALE`` times (bicubic: thin gaps between strokes survive the threshold).
   ``InkImage.scale`` maps working pixels back to original ones;
3. background normalization: the paper's brightness is estimated by a morphological closing
   on a small copy (``background.estimate``: removes the strokes, keeps shadow edges) and
   divided out, which flattens gradients, vignetting, cast shadows and colour casts. The
   closing must be wider than the thickest stroke: when the text turns out large for the
   frame (a marker held close to a webcam), the page is read again with a closing of
   ``THICK_STROKE`` text heights, so that thick strokes are not taken for background and
   hollowed out; a first pass that finds no text at all, or a few pieces whose strokes came
   out hollow (a short word written large: its letters' outlines are pieces shorter than the
   letters, so the text height misleads), is retried as if the text were ``FILL_TEXT`` of
   the frame high (a tight crop), with a closing at least twice as wide as the hollow
   strokes (the Recognizer may ask for a reading as if the text filled most of the frame,
   ``FILL_FRAME``: one digit drawn large with a felt marker). A flash's glare adds light
   rather than multiplying it, so dividing leaves its ink faint: where the paper is much
   brighter than the sheet's usual paper and the ink there fainter than the page's, the
   darkness is raised by as much as the glare can explain (``glare.unglared``);
4. hysteresis threshold above the paper's own noise level: ONE connected-components pass gives
   the components, their boxes and whether they hold strong ink (more than ``MAX_MARKS``
   strong ones: texture or noise, not a page, a ``PageError``); a component shaped like the
   page's letters whose ink reaches only a lower, pale level is ink too (a flash's glare or a
   pen running dry leaves some letters paler than the rest, ``_pale_letters``);
5. a loop drawn around writing (a component with a hole that holds ink, whose outline an
   ellipse fits better than a rectangle: ``loops.py``) is traced along that ellipse and taken
   out before the threshold, and the page read again. Ruled lines: only components longer than a few
   text heights can hold a rule (a cheap test on the component boxes); inside those boxes
   the rule's tilt is measured (up to ~8 degrees), its thin run removed, and the strokes
   that crossed it bridged again (``rules.py``); rules left unfollowed by that one tilt
   (curved by a bent page, converging in perspective) are followed in short straight pieces
   at their own tilts. A component still a rule's length long once
   the rules are out may hold a straight line at a steeper tilt (a fold across the sheet):
   it goes as a rule does, with the pieces that lie wholly on its course
   (``rules.remove_slanted``). Rules are sized from the text height; when
   nearly every letter touches a rule (fewer than ``RULED_SAMPLES`` loose letter-like
   components beside page-long rules), from the page's size, and the text height is measured
   again once they are gone. When the long
   components together form a grid (squared paper: several rows and columns inked along
   most of the page, ``rules.is_grid``; in all the ink, weak pieces too, when the strong
   ink of a faint grid is too broken to show one), the whole page is searched instead, for
   rules broken by small gaps and for the thin ink of nearly full rows and columns: a faint
   grid thresholds into pieces of every size, which joined letters across lines. The boxes
   drawn around characters on a form (among the tallest components, ink along all four
   sides, looked at levelled in a tilted photo) lose their sides and the walls between
   their characters the same way, the walls upright to the sides and reaching them (a 1 as
   tall as a wall stands clear of them). A box that is no frame (a letter of the next line
   touches it; its word fills it, so that no letter stands loose) loses its walls as bars
   between its sides taken out as rules (``rules.box_walls``), and a comb's line the ticks
   between its cells (``rules.comb_ticks``; one a letter touches is cut out where the comb's
   pitch puts it). A field's box across half the page is a frame too when all four of its
   sides are in the photo. Where the walls stood is kept
   (``InkImage.walls``): ``segment`` keeps one character a cell in one word. Last, a
   faint rule or margin that the threshold broke into pieces shorter than any rule (a dim,
   noisy photo: every piece was read as a character), or a fold that the rules cut into
   pieces at any tilt, is found from its thin pieces, strong
   and weak, on one straight course across much of the page (``rules.broken_rules``), and
   taken out with the ink along that course when its pieces are fainter than the letters,
   or at one pitch (a form's dashed line, its dashes up to ``DASH_PEN`` text heights thick);
6. table / desk areas (large dark regions at the frame and, once one is found, smaller ones
   such as the desk seen between the fingers that hold the sheet, or a large solid block
   inside it such as a laptop's keys, that end in a sharp step up to the paper's brightness;
   a vignetted corner or a shadow rises slowly; lighter regions of a colour of their own
   that run along the frame, a light wooden desk: ``background._coloured_desk``) are
   masked, and so is
   paper under ``DIM_PAPER`` of the brightest paper's light (a nearly black corner, where
   noise divided by the dark paper looks like bold strokes); components touching them,
   specks and huge blobs are dropped, but not a speck just above a letter's stem (the dot
   of an i or a j, ``_dots``); so are hairlines, far thinner than the letters' pen (the rest
   of a grid line between two letters, a hair, ``_hairlines``). Components touching the
   frame are kept. Sets of four or more solid squarish shapes of one size (a keyboard's dark
   keys, tiles; ``_scenery``: bold letters on the benchmark fill at most 0.84 of their box,
   keys 0.82-0.99) are dropped first, before they count towards the text height, and so
   is a notebook's spiral binding down a side of the page (a column of six or more marks
   of one size and shape at one pitch near the frame's side: holes, with the coil beside
   them, or loops with ink on one side only, ``binding.py``; one found only once the rules
   that ran through it are out is blanked and the page read again), and so are solid
   straight bars ``BAR_LENGTH`` text heights long at any tilt (a pen lying on the page,
   ``_bars``), before rules are looked for and again once they are out. The dots of
   dot-grid paper, a lattice of specks of one size, are taken out where they touch letters too
   (``dotgrid.py``). Last, components
   that are the rim of a larger region as dark as they are (a fingertip narrower
   than the closing, ``_outlines``), and holes punched for a binder with the desk behind
   them (dark disks, solid or, wider than the closing, their rims: ``_holes``) are dropped.

The components found here are handed to ``segment`` (``labels`` and ``boxes``), so the page is
labelled once, and again after each kind of rule is taken out. ``light_strokes`` tells the
reader when the photo may be light writing on a dark ground (chalk on a board), to be read
inverted too; ``soft_edge`` when its strokes are blurred (out of focus, or shaken), to be read
sharpened too.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import cv2
import numpy as np

from hwr_edge import background, binding, dotgrid, glare, loops
from hwr_edge.background import KERNEL3, SOLID_FILL
from hwr_edge.errors import PageError
from hwr_edge.rules import (
    box_walls,
    broken_rules,
    comb_ticks,
    frame_walls,
    is_frame,
    is_grid,
    remove_broken,
    remove_rules,
    remove_slanted,
)

PREVIEW_PX = 1280  # longest side of the first, text-scale-estimating pass
TARGET_TEXT_PX = 36  # capital height wanted at working resolution when re-reading a photo
MIN_TEXT_PX = 20  # below this preview text height, a photo is re-read at higher resolution
MAX_UPSCALE = 2.0  # ... enlarged at most this much when it was read at full size (small text)
CLOSE_CELLS = 5  # the background closing's diameter, in cells, for text small in the frame
MIN_CLOSE_PX = 15  # ... and at least this many pixels (a small image has 1-pixel cells)
THICK_STROKE = 0.4  # the thickest stroke expected, in text heights (a felt marker)
FILL_TEXT = 0.25  # text height to allow for, in frame heights, when the first pass finds none
FILL_FRAME = 0.6  # ... and when the photo is read as text that fills the frame (one large digit)
MARK_PX = 64  # a photo this many pixels wide holds a dark mark when a pixel is under ...
DARK_MARK = 0.75  # ... this part of its median grey (a large stroke; not blank paper)
KERNEL5 = np.ones((5, 5), np.uint8)
DARK_GROUND = 0.5  # a frame whose median is under this part of its brightest may be a board
MIN_CONTRAST = 60  # ... when its writing is this many grey levels brighter than the ground
FEW_PIECES = 24  # a first pass with fewer components may have drawn large letters hollow
HOLLOW = 0.1  # strokes are hollow when this many dark pixels per ink pixel lie outside the mask
MIN_LOW, MIN_HIGH = 28, 60  # hysteresis floors on the 0..255 darkness scale
CLEAN_HIGH = 40  # the strong floor for faint ink on clean paper (rising with noise to MIN_HIGH)
INK_LOW, INK_HIGH = 0.5, 0.7  # hysteresis ceilings, as parts of the ink's darkness
RULE_LENGTH = 2.5  # a component this many text heights long may hold a ruled line ...
RULE_PEN = 0.3  # ... under this many text heights thick
RULE_ASPECT = 6.0  # a component half the frame long is a rule when this many times thinner
RULED_SAMPLES = 3  # fewer character-like components beside page-long rules: all touch a rule
FRAME_HEIGHT = 1.2  # a box around characters is this many times as tall as the other ink
MIN_FRAME_PX = 12  # ... and at least this many pixels
SCENERY_COUNT = 4  # this many solid shapes of one size are scenery (keys), not ink
SAME_SIZE = 0.1  # ... one size: widths and heights within this part of each other
BROKEN_PEN = 0.1  # the pieces of a rule broken by the threshold are this many text heights thick
BROKEN_PIECE = 0.25  # ... and its pieces that find its course this many long (not noise)
FAINT = 0.75  # ... and on average under this part of the letters' darkness (a pen's are not) ...
DASHES = 5  # ... or this many pieces at one pitch (a form's dashed line, however dark) ...
DASH_TOL = 0.2  # ... each gap within this part of a pitch of a whole number of pitches
DASH_PEN = 0.2  # ... its dashes up to this many text heights thick (printed bolder)
DOT_AREA = 4  # an i's dot is a speck of at least this many pixels ...
DOT_GAP = 0.5  # ... at most this many text heights above its stem
BAR_LENGTH = 3.0  # a solid straight bar this many text heights long is no character ...
BAR_WIDTH = 0.25  # ... when at most this part of its length wide ...
BAR_FILL = 0.6  # ... and its pixels fill this part of its length times its width
OUTLINE_RING = (0.05, 0.1)  # a component with the pixels this many text heights from it ...
OUTLINE_SHARE = 0.3  # ... this part of them as dark as its ink ...
FLAT_SHARE = 0.15  # ... or this part when its ink is flat (its lighter tenth within OUTLINE_TOL)
OUTLINE_TOL = 0.08  # ... (within this part of it) is the rim of a dark region, not a stroke
OUTLINE_DARK = 200  # ... when none of it is this dark (0..255 darkness): skin, not a pen
PALE_HEIGHT = (0.5, 1.5)  # a component paler than the strong level is ink when this many
PALE_WIDTH = 3.0  # text heights tall, at most this many wide ...
PALE_PEN = 0.35  # ... and this part of the letters' pen thick (a pale letter, not a rule)
MAX_MARKS = 4000  # more strong components than this: no page of handwriting (a dense one: ~1700)
RIM_SIZE = 0.6  # a component this many text heights across or more, with most ...
HOLE_MIDDLE = 0.5  # ... of the paper in its box's middle as dark as its ink, is a hole's rim
DIM_MIDDLE = 0.7  # (looked at only when its box's centre is this part of its lightest corner)
RIM_ROUND = 0.75  # ... when that dark region is a disk this round (``_disk``) ...
HOLE_SIZE = 0.9  # ... and a solid disk this many text heights across or more is a hole ...
HOLE_ROUND = 0.83  # ... when this round (bold letters that measure 0.9 across: 0.82 at most)
HOLE_FILL = (0.68, 0.84)  # a disk's outline fills this part of its box ...
HOLE_SOLID = 0.97  # ... and its pixels fill this part of it (no counter)
HAIRLINE = 0.3  # a component this part of the letters' pen thick is a hairline (a rule's rest)


@dataclass
class InkImage:
    """Working-resolution ink: ``ink`` (uint8, bright on black, 0 off the mask), ``mask``
    (uint8 0/1), ``scale`` (original pixels per working pixel) and ``text_height`` (median
    character height in working pixels, 0 when no text was found). ``labels`` (int32) and
    ``boxes`` (x, y, w, h per kept label, ``ids`` their label numbers) describe the mask's
    components when the preprocessing already found them; None makes ``segment`` label the
    mask itself. ``light_strokes``: the part of the photo's light that is thin strokes on a
    dark ground (the function ``light_strokes``), a reason to read it inverted too;
    ``soft_edge``: how blurred the strokes are (the function ``soft_edge``), a reason to
    read it sharpened too. ``walls``: the boxes drawn around characters that were taken out
    and their walls (x, y, w, h, kind rows; kind ``rules.FRAME`` for a frame's own box,
    ``rules.END_WALL`` for a box's end, ``rules.CELL_WALL`` between a form's cells), which
    tell ``segment`` where words and fields end; None when no box was taken out."""

    ink: np.ndarray
    mask: np.ndarray
    scale: float
    text_height: float
    labels: np.ndarray | None = None
    boxes: np.ndarray | None = None
    ids: np.ndarray | None = None
    light_strokes: float = 0.0
    soft_edge: float = 0.0
    walls: np.ndarray | None = None


def ink_map(
    image: np.ndarray, colour: np.ndarray | None = None, fills_frame: bool = False
) -> InkImage:
    """Ink map and components of a BGR (or gray) uint8 photo; see the module docstring.
    ``colour``: the photo in colour at any size (default ``image``), for the desk test.
    ``fills_frame``: read it as text ``FILL_FRAME`` of the frame high, at once, at the
    preview's resolution."""
    gray = _darkness_source(image)
    colour = image if colour is None else colour
    h, w = gray.shape
    factor = min(1.0, PREVIEW_PX / max(h, w))
    if fills_frame:
        small = _resize(gray, factor)
        cell = background.cell_size(small)
        cells = int(np.ceil(THICK_STROKE * FILL_FRAME * min(small.shape) / cell)) | 1
        return _ink_with(small, 1.0 / factor, colour, cells)
    preview = _ink_at(_resize(gray, factor), 1.0 / factor, colour)
    if not 0 < preview.text_height < MIN_TEXT_PX:
        return preview
    limit = 1.0 if factor < 1.0 else MAX_UPSCALE  # a large photo is never enlarged
    factor = min(limit, factor * TARGET_TEXT_PX / preview.text_height)
    del preview  # its arrays go before the larger pass allocates its own
    return _ink_at(_resize(gray, factor), 1.0 / factor, colour)


def has_dark_mark(image: np.ndarray) -> bool:
    """Whether a photo (BGR or gray) shrunk to ``MARK_PX`` wide holds a pixel under
    ``DARK_MARK`` of its median grey: a stroke wide enough to come out hollow does (a felt
    marker's, 40-80 grey on 200-230 paper), blank paper with its noise does not, so a blank
    frame is not read a second time as large text (``Recognizer``)."""
    gray = _darkness_source(image)
    h, w = gray.shape
    size = (MARK_PX, max(1, round(h * MARK_PX / w)))
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA) if w > MARK_PX else gray
    return bool(small.min() < DARK_MARK * np.median(small))


def _darkness_source(bgr: np.ndarray) -> np.ndarray:
    """Luma of a BGR(A) photo (gray input passes through)."""
    if bgr.ndim == 2:
        return bgr
    if bgr.shape[2] == 1:
        return bgr[..., 0]
    return cv2.cvtColor(np.ascontiguousarray(bgr[..., :3]), cv2.COLOR_BGR2GRAY)


def _resize(gray: np.ndarray, factor: float) -> np.ndarray:
    if factor == 1.0:
        return gray
    h, w = gray.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)


def _ink_at(gray: np.ndarray, scale: float, bgr: np.ndarray) -> InkImage:
    """Steps 3-6 at one resolution (``bgr``: the photo, for the table's colour), again with a
    wider background closing when the text is large enough to have strokes wider than it.
    When the first pass found no text, or strokes that came out hollow (``_hollow_stroke``),
    the text may fill the frame: the closing is made for text ``FILL_TEXT`` of the frame
    high, and at least twice as wide as the hollow strokes."""
    first = max(CLOSE_CELLS, int(np.ceil(MIN_CLOSE_PX / background.cell_size(gray))) | 1)
    result = _ink_with(gray, scale, bgr, first)
    text_h = result.text_height
    stroke = _hollow_stroke(gray, result)
    if text_h == 0 or stroke:  # the text may fill the frame
        text_h = max(text_h, FILL_TEXT * min(gray.shape))
    cells = int(np.ceil(max(THICK_STROKE * text_h, 2 * stroke) / background.cell_size(gray))) | 1
    if cells <= first:
        return result
    del result  # its arrays go before the second pass allocates its own
    return _ink_with(gray, scale, bgr, cells)


def _hollow_stroke(gray: np.ndarray, result: InkImage) -> float:
    """The width of the widest stroke (its joints included) in pixels when the strokes came
    out as outlines (wider than the background closing, they were taken for paper), else 0.
    Only a short text is looked at (under ``FEW_PIECES`` components: large letters, few of
    them in the frame). Outlines: in the boxes of the components, ``HOLLOW`` as many pixels
    outside the mask as inside it are as dark as most of the box's ink (thin traces, such as
    a rule's that was taken out, not counted)."""
    if result.boxes is None or not 0 < len(result.boxes) < FEW_PIECES:
        return 0.0
    ink = result.mask > 0
    below = np.zeros_like(gray)  # per box: one more than the upper quartile of its ink's grey
    for x, y, w, h in result.boxes.astype(np.int64):
        box, on = gray[y : y + h, x : x + w], ink[y : y + h, x : x + w]
        level = min(255, int(np.percentile(box[on], 75)) + 1)
        np.maximum(below[y : y + h, x : x + w], level, out=below[y : y + h, x : x + w])
    dark = cv2.compare(gray, below, cv2.CMP_LT)
    dark[ink] = 0
    hollow = cv2.countNonZero(cv2.erode(dark, KERNEL3))  # not the thin trace of a rule
    if hollow <= HOLLOW * cv2.countNonZero(result.mask):
        return 0.0
    level = np.percentile(gray[ink], 75)
    n, labels, _ = label_components((gray <= level).view(np.uint8))
    strokes = np.take(np.bincount(labels[ink], minlength=n) > 0, labels) & (labels > 0)
    return 2.0 * float(cv2.distanceTransform(strokes.view(np.uint8), cv2.DIST_L2, 3).max())


def _ink_with(
    gray: np.ndarray,
    scale: float,
    bgr: np.ndarray,
    close_cells: int,
    blank: tuple = (),
    erase: np.ndarray | None = None,
) -> InkImage:
    """Steps 3-6 with a background closing ``close_cells`` cells wide. ``blank``: the
    areas of a spiral binding (``binding.areas``) to blank first: one found only once the rules
    were out (its holes and loops were joined to them) is blanked and the page read again,
    so that its pieces set neither the text height nor the size of the rules looked for.
    ``erase``: the pixels of loops drawn around writing (``loops.find``), found on a first
    reading, to take out before the threshold in the same way."""
    cell = background.cell_size(gray)
    small = background.shrink(
        gray, (max(1, gray.shape[1] // cell), max(1, gray.shape[0] // cell)), cell
    )
    light = light_strokes(small)
    paper, table, closed = background.estimate(gray, small, bgr, close_cells)
    darkness = cv2.divide(gray, paper, scale=255)
    del paper  # full-size arrays go as soon as they are used: a 12 MP photo's are large
    cv2.subtract(255, darkness, dst=darkness)
    if table is not None:
        darkness[table] = 0
    for x0, y0, x1, y1 in blank:
        darkness[int(y0) : int(y1), int(x0) : int(x1)] = 0
    if erase is not None:
        darkness[erase] = 0
    low, high, pale = _thresholds(darkness)
    unglared = glare.unglared(darkness, closed, table, close_cells, low)
    if unglared is not darkness:
        darkness = unglared
        low, high, pale = _thresholds(darkness)
    n, labels, stats = label_components(cv2.threshold(darkness, low, 1, cv2.THRESH_BINARY)[1])
    # every strong stroke has pixels on the even rows and columns; the labels of those above
    # the pale level (never above the strong one) picked by a boolean mask: a quarter of the
    # time of np.nonzero's indices; those above the strong level picked among them
    sample = darkness[::2, ::2]
    over = sample > pale
    over_labels, over_values = labels[::2, ::2][over], sample[over]
    strong = np.bincount(over_labels[over_values > high], minlength=n) > 0
    strong[0] = False
    dots = dotgrid.find(labels, stats, darkness)
    if dots is not None:  # dot-grid paper: its dots set no text height, and go
        strong[dots.specks] = False
    marks = np.count_nonzero(strong)
    if marks > MAX_MARKS:  # before any step that looks at components one by one
        raise PageError(
            f"{marks} separate marks of ink, more than the {MAX_MARKS} of a dense page of "
            "handwriting: texture or noise, not writing (crop the photo to the writing)",
            light,
        )
    page_long = _page_long(stats, gray.shape)
    found = binding.areas(stats, labels, strong & ~page_long)
    scenery = _scenery(stats) | binding.within(stats, found)
    strong &= ~scenery
    extent = np.maximum(stats[:, 2], stats[:, 3])
    loose = strong & ~page_long
    text_h = _text_height(stats, loose, RULED_SAMPLES if page_long.any() else 1)
    if text_h and pale < high:
        reach = np.bincount(over_labels, minlength=n) > 0
        strong |= _pale_letters(stats, strong, reach & ~strong & ~scenery, text_h)
    if text_h and erase is None:  # a loop drawn around writing: read the page without it
        drawn = loops.find(labels, stats, strong, text_h)
        if drawn is not None:
            return _ink_with(gray, scale, bgr, close_cells, blank, drawn)
    weak = stats[1:][~strong[1:]]  # a faint rule's pieces under the strong level show its course
    if text_h:
        strong &= ~_bars(stats, labels, strong, text_h)  # before a near-level pen is a rule
        length, thin = max(15, int(RULE_LENGTH * text_h)), max(3, int(RULE_PEN * text_h))
    else:  # (nearly) every character touches a rule: find the page-long ones first
        length, thin = max(15, min(gray.shape) // 6), max(5, min(gray.shape) // 60)
    fields = page_long & (stats[:, 3] < 0.5 * gray.shape[0])  # across the page, not a grid
    frames = _frames(labels, stats, loose, fields)
    walls = None  # the walls between a form's cells, once its boxes are taken out
    long = strong & ((extent >= length) | page_long)
    long[frames] = False
    if long.any() or len(frames):
        inked = np.take(strong.astype(np.uint8), labels)
        grid = _grid(inked, labels, stats, long)
        framed = stats[frames, :4]
        mask = remove_rules(
            inked,
            darkness,
            np.array([[0, 0, gray.shape[1], gray.shape[0]]]) if grid else stats[long, :4],
            length,
            thin,
            framed,
            grid,
        )
        n, labels, stats = label_components(mask)
        # long still, sized by the letters the rules no longer cut: a line at a steeper tilt?
        whole_h = _text_height(stats, np.arange(n) > 0) or text_h
        line = max(length, int(RULE_LENGTH * whole_h))
        slanted = np.flatnonzero(np.maximum(stats[1:, 2], stats[1:, 3]) >= line) + 1
        if slanted.size:
            removed = cv2.subtract(inked, mask)
            pen = max(thin, int(RULE_PEN * whole_h))
            mask = remove_slanted(mask, removed, darkness, labels, stats, slanted, line, pen)
            n, labels, stats = label_components(mask)
        removed = cv2.subtract(inked, mask)
        wall_h = text_h or whole_h
        ticks, touched = comb_ticks(removed, stats, wall_h)
        if len(touched):  # a comb's ticks that letters touch: cut from them, look again
            for x, y, w, h in touched.tolist():
                mask[max(0, y) : y + h, max(0, x) : x + w] = 0
            n, labels, stats = label_components(mask)
            ticks = comb_ticks(removed, stats, wall_h)[0]
        strong = np.ones(n, bool)
        strong[0] = False
        kinds = np.maximum(box_walls(removed, stats, wall_h, thin, paired=not text_h), ticks)
        strong &= kinds == 0
        bars = np.column_stack([stats[kinds > 0, :4], kinds[kinds > 0]])
        walls = np.vstack([frame_walls(removed, framed, wall_h, thin), bars])
        joined = binding.areas(stats, labels, strong)  # holes or loops the rules ran through
        if joined and not blank:
            return _ink_with(gray, scale, bgr, close_cells, tuple(found + joined), erase)
        strong &= ~binding.within(stats, found + joined)
        text_h = _text_height(stats, strong) or text_h  # a rule left over is too thin to count
    if text_h == 0:
        return _empty(gray, scale, light)
    broken = _broken(labels, stats, strong, darkness, text_h, length, weak)
    if broken:
        mask = np.take(strong.astype(np.uint8), labels)
        mask = remove_broken(mask, darkness, labels, broken, thin, length)
        n, labels, stats = label_components(mask)
        strong = np.ones(n, bool)
        strong[0] = False
    if dots is not None:  # the dots that touch letters go too
        mask = np.take(strong.astype(np.uint8), labels)
        mask = cv2.subtract(mask, dotgrid.dot_pixels(dots, mask, darkness))
        n, labels, stats = label_components(mask)
        strong = np.ones(n, bool)
        strong[0] = False
    keep = strong & _plausible(stats, labels, table, text_h)
    keep &= ~_outlines(gray, darkness, low, labels, stats, keep, text_h)
    keep &= ~_holes(gray, labels, stats, keep, text_h)
    ids = np.nonzero(keep)[0]
    if ids.size == 0:
        return _empty(gray, scale, light)
    if keep[1:].all():  # nothing dropped: the labelled pixels are the mask
        mask = (labels > 0).view(np.uint8)
    else:
        mask = np.take(keep.astype(np.uint8), labels)  # faster than keep[labels]
    ink = cv2.bitwise_and(darkness, darkness, mask=mask)
    boxes = stats[ids, :4].astype(np.float64)
    soft = soft_edge(darkness, mask)
    return InkImage(ink, mask, scale, float(text_h), labels, boxes, ids, light, soft, walls)


def _broken(
    labels: np.ndarray,
    stats: np.ndarray,
    strong: np.ndarray,
    darkness: np.ndarray,
    text_h: float,
    length: int,
    weak: np.ndarray,
) -> list:
    """The faint rules that the threshold broke into pieces shorter than any rule
    (``rules.broken_rules``, pieces at most ``BROKEN_PEN`` text heights thick), with their
    ``strong`` pieces (the ``weak`` ones, rows of stats, help find their course), which are
    fainter than ``FAINT`` of the letters' ink (the pieces of a pen's stroke are as dark as
    the letters), or dashes at one pitch however dark (``_dashed``: a form's dashed line),
    up to ``DASH_PEN`` text heights thick."""
    n = len(stats)
    both = np.vstack([stats, weak])
    pieces = np.concatenate([strong, np.ones(len(weak), bool)])
    pieces &= np.maximum(both[:, 2], both[:, 3]) >= BROKEN_PIECE * text_h
    rules = broken_rules(both, pieces, length, max(2.0, BROKEN_PEN * text_h))
    taken = {int(i) for rule in rules for i in rule.ids}
    for rule in broken_rules(both, pieces, length, max(2.0, DASH_PEN * text_h), slanted=False):
        if taken.isdisjoint(rule.ids.tolist()) and _dashed(both[rule.ids], rule.upright):
            rules.append(rule)  # a dashed line printed bolder than a faint rule's pieces
    if not rules:
        return rules
    ink = np.bincount(labels.ravel(), darkness.ravel(), n)
    letters = strong & (stats[:, 3] >= text_h / 2)
    for rule in rules:
        letters[rule.ids[rule.ids < n]] = False
    if not letters.any():
        return []
    level = ink[letters].sum() / stats[letters, 4].sum()
    faint = []
    for rule in rules:
        ids = rule.ids[rule.ids < n]  # its strong pieces
        faint_ink = ids.size == 0 or ink[ids].sum() < FAINT * level * stats[ids, 4].sum()
        if faint_ink or _dashed(stats[ids], rule.upright):
            faint.append(rule._replace(ids=ids))
    return faint


def _dashed(pieces: np.ndarray, upright: bool) -> bool:
    """Whether the pieces of a course (stats rows) are a dashed line, printed or drawn (a
    form's blank to fill in), however dark: ``DASHES`` of them or more, one pitch apart or a
    whole number of pitches (a dash joined to a letter is no piece), within ``DASH_TOL`` of a
    pitch, and at least ``DASHES`` - 2 gaps of one pitch. Letters' bars that a pen lift left
    apart lie on one course too, but at no pitch."""
    if len(pieces) < DASHES:
        return False
    along = 1 if upright else 0
    centres = np.sort(pieces[:, along] + pieces[:, along + 2] / 2)
    gaps = np.diff(centres)
    pitch = float(np.median(gaps[gaps <= 1.5 * gaps.min()]))
    if pitch <= 0:
        return False
    steps = gaps / pitch
    whole = np.round(steps)
    return bool(
        np.all(np.abs(steps - whole) <= DASH_TOL) and np.count_nonzero(whole == 1) >= DASHES - 2
    )


def _frames(
    labels: np.ndarray, stats: np.ndarray, candidates: np.ndarray, fields: np.ndarray
) -> np.ndarray:
    """Label numbers of the boxes drawn around characters on a form among ``candidates`` and
    ``fields`` (components across half the page: a long field's box, which sets no height):
    among the tallest components (``FRAME_HEIGHT`` times the candidates' median height, or
    near the tallest), ink along most of each side the photo's edge does not cut (a field's
    box: each side, ``rules.is_frame``), and, when other components are found,
    ``FRAME_HEIGHT`` times their median height (the letters inside are shorter; letters
    touching the walls are part of the frame)."""
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    if not candidates.any():
        return np.zeros(0, np.int64)
    typical = statistics.median(h[candidates].tolist())  # as np.median's, ~20x faster
    tall = (h >= FRAME_HEIGHT * typical) | (h >= 0.9 * h[candidates].max())
    ids = np.nonzero((candidates | fields) & tall & (2 * w >= h) & (h >= MIN_FRAME_PX))[0]
    rows, cols = labels.shape
    # a field's box shows all four sides: two rules joined by letters, cut by the photo's
    # sides, are no box
    edges = {i: () if fields[i] else _cut(stats[i], rows, cols) for i in ids}
    found = [
        i for i in ids if is_frame(labels[y[i] : y[i] + h[i], x[i] : x[i] + w[i]], i, edges[i])
    ]
    others = candidates.copy()
    others[found] = False
    if found and others.any():
        tall = h[found] >= FRAME_HEIGHT * np.median(h[others])
        found = [i for i, ok in zip(found, tall, strict=True) if ok]
    return np.array(found, dtype=np.int64)


def _cut(box: np.ndarray, rows: int, cols: int) -> tuple:
    """The sides of a component's box (x, y, w, h) that the photo's edge cuts."""
    x, y, w, h = box[:4]
    sides = ("top", y == 0), ("bottom", y + h == rows), ("left", x == 0), ("right", x + w == cols)
    return tuple(name for name, cut in sides if cut)


def label_components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """8-connected components of a uint8 0/1 mask: count, labels, stats (x, y, w, h, area).

    16-bit labels make OpenCV's statistics pass several times faster; a mask with more than
    65535 components falls back to 32-bit labels."""
    try:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(
            mask, connectivity=8, ltype=cv2.CV_16U
        )
    except cv2.error:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(
            mask, connectivity=8, ltype=cv2.CV_32S
        )
    return n, labels, stats


def _empty(gray: np.ndarray, scale: float, light: float) -> InkImage:
    zeros = np.zeros_like(gray)
    return InkImage(zeros, zeros, scale, 0.0, light_strokes=light)


def light_strokes(small: np.ndarray) -> float:
    """How much of a photo's light is thin strokes on a dark ground (chalk on a board, white
    ink on black paper), on its background estimate's small copy: the part of its light
    pixels that an opening a few cells wide takes away, away from the wide light that stays
    (a sheet of paper, a lit page, a lamp, and the gaps between the letters on them), when
    most of the frame is under ``DARK_GROUND`` of its brightest light and that light is
    ``MIN_CONTRAST`` grey levels above it; else 0."""
    ground, light = background.quantile(small, 0.5), background.quantile(small, 0.99)
    if light - ground < MIN_CONTRAST or ground > DARK_GROUND * light:
        return 0.0
    lit = cv2.threshold(small, (ground + light) / 2, 1, cv2.THRESH_BINARY)[1]
    wide = cv2.morphologyEx(lit, cv2.MORPH_OPEN, KERNEL5)
    strokes = cv2.subtract(lit, cv2.dilate(wide, KERNEL5))  # not a sheet's edge or its text
    return cv2.countNonZero(strokes) / max(1, cv2.countNonZero(lit))


def soft_edge(darkness: np.ndarray, mask: np.ndarray) -> float:
    """How blurred the strokes are: the pixels within two of the ink ``mask`` whose
    ``darkness`` lies between a quarter and three quarters of the ink's usual darkness (its
    90th percentile on the mask), per pixel of the mask's boundary: about the width in pixels
    of the strokes' soft edges, inside and out. A sharp stroke goes from paper to ink within
    a pixel or two; out of focus, over several."""
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0:
        return 0.0
    x0, y0 = max(0, x - 2), max(0, y - 2)
    x1, y1 = min(mask.shape[1], x + w + 2), min(mask.shape[0], y + h + 2)
    darkness, mask = darkness[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    on = cv2.calcHist([darkness], [0], mask, [256], [0, 256]).ravel().cumsum()
    level = float(np.searchsorted(on, 0.9 * on[-1]))
    near = cv2.dilate(mask, KERNEL5)
    around = cv2.calcHist([darkness], [0], near, [256], [0, 256]).ravel().cumsum()
    band = around[int(0.75 * level)] - around[int(0.25 * level)]
    inner = cv2.erode(mask, KERNEL3, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return float(band / max(on[-1] - cv2.countNonZero(inner), 1))


def _thresholds(darkness: np.ndarray) -> tuple[float, float, float]:
    """Hysteresis levels (weak, strong) above the paper's own noise, and at most
    ``INK_LOW`` / ``INK_HIGH`` of the ink's darkness (the 99th percentile): on paper with
    many rules or a texture the noise estimate alone would rise above the strokes. The
    strong level never falls below ``MIN_HIGH``, or, when the ink itself is fainter than
    that (pencil), below a floor that is ``CLEAN_HIGH`` on clean paper and rises with the
    paper's noise to ``MIN_HIGH`` (noise is no stroke). Third: that floor, which letters
    paler than the page's ink must reach to be read (``_pale_letters``)."""
    sample = darkness[::4, ::4]
    hist = np.bincount(sample.ravel(), minlength=256).cumsum()
    median = float(np.searchsorted(hist, 0.5 * hist[-1]))
    spread = float(np.searchsorted(hist, 0.75 * hist[-1])) - median
    ink = float(np.searchsorted(hist, 0.99 * hist[-1]))
    low = max(MIN_LOW, min(median + 8 * spread + 6, INK_LOW * ink))
    pale = float(np.clip(median + 10 * spread + 20, CLEAN_HIGH, MIN_HIGH))
    floor = pale if INK_HIGH * ink < MIN_HIGH else MIN_HIGH  # faint ink: pencil
    return low, max(floor, min(2 * low, INK_HIGH * ink)), pale


def _pale_letters(
    stats: np.ndarray, strong: np.ndarray, pale: np.ndarray, text_h: float
) -> np.ndarray:
    """The ``pale`` components (their ink reaches the pale floor, not the strong level) that
    are shaped like the page's letters: ``PALE_HEIGHT`` text heights tall, at most
    ``PALE_WIDTH`` wide, and at least ``PALE_PEN`` of the strong letters' pen thick. A
    flash's glare, a pen running dry or light ink leave some letters paler than the rest
    of the page; a faint rule's pieces are flat, a grid's or a fibre's thin, and paper
    texture and ink showing through from the back stay under the floor."""
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    tall = (h >= PALE_HEIGHT[0] * text_h) & (h <= PALE_HEIGHT[1] * text_h)
    pen = _letters_pen(stats, strong & tall)
    if pen is None:
        return np.zeros(len(stats), bool)
    thick = area / (w + h) >= PALE_PEN * pen
    return pale & tall & thick & (w <= PALE_WIDTH * text_h)


def _page_long(stats: np.ndarray, shape: tuple) -> np.ndarray:
    """Components that are rules across the page, never one character: half the frame long
    and thin (a notebook rule, a margin), or a grid spanning half the frame both ways. A
    letter in a tight crop of one line is as tall as the frame, but not thin."""
    w, h = stats[:, 2], stats[:, 3]
    wide, tall = w >= 0.5 * shape[1], h >= 0.5 * shape[0]
    out = (wide & (w >= RULE_ASPECT * h)) | (tall & (h >= RULE_ASPECT * w)) | (wide & tall)
    out[0] = False  # label 0, the paper, is no component
    return out


def _grid(mask: np.ndarray, labels: np.ndarray, stats: np.ndarray, long: np.ndarray) -> bool:
    """Whether the strong ink ``mask``, or failing that all the ink (``labels`` over 0, the
    weak pieces too), is squared paper (``rules.is_grid``): its rules are then looked for on
    the whole page, because a faint grid thresholds into pieces of every size that no rule's
    box holds. A grid faint enough that its strong pieces fill no row may still have joined
    letters across lines; its weak pieces fill the rows. Only looked at when some ``long``
    component spans a quarter of the page across and one a quarter down (not on ruled paper
    without a margin, nor beside touching letters)."""
    h, w = mask.shape
    if not (long & (stats[:, 2] >= w / 4)).any() or not (long & (stats[:, 3] >= h / 4)).any():
        return False
    return is_grid(mask) or is_grid(labels > 0)


def _scenery(stats: np.ndarray) -> np.ndarray:
    """Solid squarish shapes (at least ``SOLID_FILL`` of their box inked) that come in a set
    of ``SCENERY_COUNT`` or more of one size: a keyboard's keys, tiles, filled bubbles; never
    characters, and so many of them would set the text height. A lone one is left to be read
    as a blob (a smudge, a thumb: the reject character)."""
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    solid = (np.minimum(w, h) >= 6) & (w <= 2 * h) & (h <= 2 * w) & (area >= SOLID_FILL * w * h)
    solid[0] = False
    ids = np.flatnonzero(solid)
    if ids.size < SCENERY_COUNT:
        return np.zeros_like(solid)
    sw, sh = w[ids].astype(np.float64), h[ids].astype(np.float64)
    alike = (np.abs(sw[:, None] - sw[None]) <= SAME_SIZE * sw[:, None]) & (
        np.abs(sh[:, None] - sh[None]) <= SAME_SIZE * sh[:, None]
    )
    scenery = np.zeros_like(solid)
    scenery[ids[alike.sum(axis=1) >= SCENERY_COUNT]] = True
    return scenery


def _text_height(stats: np.ndarray, keep: np.ndarray, samples: int = 1) -> float:
    """Median height of the character-like kept components (0 when there are fewer than
    ``samples``)."""
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    ok = keep & (h >= 6) & (w < 3 * h) & (h < 6 * np.maximum(w, 1)) & (area >= 12)
    if np.count_nonzero(ok) < samples:
        return 0.0
    return float(statistics.median(h[ok].tolist()))  # as np.median's, ~20x faster


def _plausible(stats: np.ndarray, labels: np.ndarray, table, text_h: float) -> np.ndarray:
    """Components that may be text: not specks, huge blobs, hairlines, bars or touching the
    table region."""
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    small = (h < 0.35 * text_h) & (w < 0.35 * text_h)
    speck = small & (area < max(4.0, 0.02 * text_h**2))  # noise, rule ends, punctuation
    huge = (h > 4 * text_h) | (w > 15 * text_h)
    keep = ~(speck | huge)
    keep |= _dots(stats, speck, keep, text_h)
    keep &= ~_hairlines(stats, keep, text_h)
    keep &= ~_bars(stats, labels, keep, text_h)  # again: one that lay across rules is apart now
    if table is not None:
        keep &= np.bincount(labels[table], minlength=len(stats)) == 0
    return keep


def _bars(stats: np.ndarray, labels: np.ndarray, keep: np.ndarray, text_h: float) -> np.ndarray:
    """Solid straight bars ``BAR_LENGTH`` text heights long or longer, at any tilt: a pen or a
    pencil lying on the page, a ruler's edge; no character is that long, and a word that
    long is no bar (its ink spreads across a text height, thinly). Length and width come from
    the spread of the component's pixels along and across its main axis (a solid bar of
    length L spreads L / sqrt(12)); solid: its pixels fill ``BAR_FILL`` of length x width."""
    bars = np.zeros(len(stats), bool)
    for i in np.flatnonzero(keep & (np.hypot(stats[:, 2], stats[:, 3]) >= BAR_LENGTH * text_h)):
        x, y, w, h, area = stats[i]
        m = cv2.moments((labels[y : y + h, x : x + w] == i).view(np.uint8), binaryImage=True)
        cov = np.array([[m["mu20"], m["mu11"]], [m["mu11"], m["mu02"]]]) / max(m["m00"], 1.0)
        across, along = np.sqrt(12.0 * np.maximum(np.linalg.eigvalsh(cov), 0.0))
        bars[i] = (
            along >= BAR_LENGTH * text_h
            and across <= BAR_WIDTH * along
            and area >= BAR_FILL * along * across
        )
    return bars


def _outlines(
    gray: np.ndarray,
    darkness: np.ndarray,
    low: float,
    labels: np.ndarray,
    stats: np.ndarray,
    keep: np.ndarray,
    text_h: float,
) -> np.ndarray:
    """Components that are the rim of a large region as dark as they are, not strokes: the tip
    of a finger narrower than the background closing, which the closing took for a stroke on
    paper. A stroke, sharp or blurred, has paper around it a little way off; here
    ``OUTLINE_SHARE`` of the pixels ``OUTLINE_RING`` text heights from the component that the
    threshold found no ink (under ``low``: not a rule taken out since) are within
    ``OUTLINE_TOL`` of its ink's darker tenth; ``FLAT_SHARE`` of them when the component is
    one flat grey (its lighter tenth within that too: skin; a stroke, even blurred, has a
    profile), so that a tip with paper on three sides is found. Only components with no
    pixel as dark as ``OUTLINE_DARK`` are looked at (skin, light or dark, not a pen's ink):
    the rims of a thick marker's strokes, hollowed by a closing too narrow for them, make the
    page be read again with a wider one."""
    flags = np.zeros(len(stats), bool)
    near, far = (max(r, int(round(f * text_h))) for r, f in zip((2, 4), OUTLINE_RING, strict=True))
    kernels = [
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)) for r in (near, far)
    ]
    rows, cols = gray.shape
    inked = np.bincount(labels[darkness >= OUTLINE_DARK], minlength=len(stats)) > 0
    for i in np.flatnonzero(keep & ~inked):
        x, y, w, h = stats[i, :4]
        x0, y0 = max(0, x - far), max(0, y - far)
        x1, y1 = min(cols, x + w + far), min(rows, y + h + far)
        own = (labels[y0:y1, x0:x1] == i).view(np.uint8)
        ring = cv2.dilate(own, kernels[1]) > cv2.dilate(own, kernels[0])
        ring &= darkness[y0:y1, x0:x1] < low
        if ring.any():
            grey = gray[y0:y1, x0:x1]
            dark, light = np.percentile(grey[own > 0], (10, 90))
            level = dark * (1.0 + OUTLINE_TOL)
            share = (grey[ring] <= level).mean()
            flags[i] = share >= (FLAT_SHARE if light <= level else OUTLINE_SHARE)
    return flags


def _holes(
    gray: np.ndarray, labels: np.ndarray, stats: np.ndarray, keep: np.ndarray, text_h: float
) -> np.ndarray:
    """Holes punched in the sheet for a binder, the desk seen through them: dark disks
    (``_disk``), ``HOLE_SIZE`` text heights across or more when solid (narrower than the
    background closing: a full page in view), where a bold O or 0 whose counter closed up
    is seldom as round. A hole wider than the closing, which took its middle for paper,
    comes out as its rim, whole or in arcs, read as an O: a component ``RIM_SIZE`` text
    heights across or more (a bullet is smaller) whose box's middle is mostly
    (``HOLE_MIDDLE``) as dark as its ink (an O's middle is paper) is a hole's rim when that
    dark region is a disk. A blot is seldom round and is left for the reader to reject."""
    flags = np.zeros(len(stats), bool)
    ids = np.flatnonzero(keep & (np.minimum(stats[:, 2], stats[:, 3]) >= RIM_SIZE * text_h))
    # looked at closely only when the box's centre is the component's own ink and it is large
    # enough for a solid hole, or no ink and much darker than the box's lightest corner
    left, top, width, height = (stats[ids, k] for k in range(4))
    right, bottom = left + width - 1, top + height - 1
    cy, cx = top + height // 2, left + width // 2
    lightest = np.maximum.reduce(
        [gray[top, left], gray[top, right], gray[bottom, left], gray[bottom, right]]
    )
    at_centre = labels[cy, cx]
    solid = (at_centre == ids) & (np.minimum(width, height) >= HOLE_SIZE * text_h)
    dim = (at_centre == 0) & (gray[cy, cx] <= DIM_MIDDLE * lightest)
    rows, cols = gray.shape
    for i in ids[solid | dim]:
        x, y, bw, bh = stats[i, :4]
        box = np.s_[y : y + bh, x : x + bw]
        middle = np.s_[y + bh // 3 : y + bh - bh // 3, x + bw // 3 : x + bw - bw // 3]
        paper = gray[middle][labels[middle] == 0]
        if paper.size == 0:  # solid in the middle
            flags[i] = min(bw, bh) >= HOLE_SIZE * text_h and _disk(labels[box] == i, HOLE_ROUND)
            continue
        level = np.median(gray[box][labels[box] == i])
        if np.count_nonzero(paper <= level) < HOLE_MIDDLE * paper.size:
            continue
        # the dark region the rim outlines, in a box grown by half: an arc's box is part of it
        x0, y0 = max(0, x - bw // 2), max(0, y - bh // 2)
        x1, y1 = min(cols, x + bw + bw // 2), min(rows, y + bh + bh // 2)
        regions = cv2.connectedComponents((gray[y0:y1, x0:x1] <= level).view(np.uint8))[1]
        region = regions[y + bh // 2 - y0, x + bw // 2 - x0]
        flags[i] = region > 0 and _disk(regions == region, RIM_ROUND)
    return flags


def _disk(region: np.ndarray, roundness: float) -> bool:
    """Whether a boolean region is one filled disk (an ellipse up to 1.3 times as long as
    wide: a hole seen at a slant): no hole in it, its outline filling ``HOLE_FILL`` of its
    box (a disk: 0.785; a square fills all of it) and this round at least (4 pi area /
    perimeter^2: 1 for a true circle, 0.85-0.9 for one 30-45 pixels across)."""
    region = region.view(np.uint8)
    outlines = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0]
    outline = max(outlines, key=cv2.contourArea)
    x, y, w, h = cv2.boundingRect(outline)
    if w > 1.3 * h or h > 1.3 * w or w < 3 or h < 3:
        return False
    filled, length = cv2.contourArea(outline), cv2.arcLength(outline, True)
    span = (w - 1) * (h - 1)  # the outline runs through the edge pixels' centres
    if not HOLE_FILL[0] * span <= filled <= HOLE_FILL[1] * span:
        return False
    if 4 * np.pi * filled < roundness * length**2:
        return False
    inside = cv2.drawContours(np.zeros_like(region), [outline], -1, 1, -1)
    return cv2.countNonZero(region[y : y + h, x : x + w]) >= HOLE_SOLID * cv2.countNonZero(inside)


def _hairlines(stats: np.ndarray, keep: np.ndarray, text_h: float) -> np.ndarray:
    """Components under ``HAIRLINE`` of the letters' pen thick (pixels per pixel of length):
    the rest of a rule or a grid line between two letters, a hair, a paper fibre. The pen is
    the median letter's area over its width plus height (a stroke's width for an I or an L,
    1.6 of it for an O or an H)."""
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    pen = _letters_pen(stats, keep & (h >= 0.5 * text_h))
    if pen is None:
        return np.zeros(len(stats), bool)
    return area < HAIRLINE * pen * np.maximum(w, h)


def _letters_pen(stats: np.ndarray, letters: np.ndarray) -> float | None:
    """The pen of the components ``letters`` (label 0 aside): the median letter's area over
    its width plus height (a stroke's width for an I or an L, 1.6 of it for an O or an H);
    None when there is no letter."""
    letters = letters.copy()
    letters[0] = False
    if not letters.any():
        return None
    w, h, area = stats[letters, 2], stats[letters, 3], stats[letters, 4]
    return statistics.median((area / (w + h)).tolist())


def _dots(stats: np.ndarray, speck: np.ndarray, keep: np.ndarray, text_h: float) -> np.ndarray:
    """The specks that are an i's or j's dot: at least ``DOT_AREA`` pixels, their centre
    over a kept stem (a component at least half a text height tall and under half as wide
    as tall), their bottom at most ``DOT_GAP`` text heights above its top."""
    dots = np.zeros(len(stats), bool)
    stem = keep & (stats[:, 3] >= 0.5 * text_h) & (2 * stats[:, 2] < stats[:, 3])
    stem[0] = False
    candidates = np.flatnonzero(speck & (stats[:, 4] >= DOT_AREA))
    if not stem.any() or not candidates.size:
        return dots
    x, y, w, h = (stats[candidates, k, None].astype(np.float64) for k in range(4))
    sx, sy, sw, _ = (stats[stem, k][None].astype(np.float64) for k in range(4))
    centre, gap = x + w / 2, sy - (y + h)
    over = (centre >= sx) & (centre <= sx + sw) & (gap >= 0) & (gap <= DOT_GAP * text_h)
    dots[candidates] = over.any(axis=1)
    return dots
