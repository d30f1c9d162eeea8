"""The Cloudinary transformation grammar."""
from __future__ import annotations

import pytest

from jobs.planner.transformation import Param, TransformationError, parse

VALID = [
    "",
    "w_1200,h_1200,c_fill",
    "c_fill,h_800,so_auto,w_800/l_assetlink:play,w_160/fl_layer_apply,g_center/f_auto,q_auto",
    "l_text:Arial_160:%E2%96%BA,co_white,o_85/fl_layer_apply,g_center",
    "w_iw_div_2", "$w_100/w_$w", "if_w_gt_1000/c_scale,w_1000/if_end", "t_product-square",
    "e_gen_remove:prompt_text", "ar_16:9,c_fill,g_auto:faces,w_0.5", "bo_4px_solid_black", "q_auto:good",
    "x_-20,y_10", "r_max", "a_auto_right", "f_auto:video", "e_sharpen:100", "dpr_2.0", "fl_progressive.strip_profile",
]
INVALID = ["w_", "xx_5", "c_fil", "w_100,,h_1", "/w_1", "w_1/", "w_1//h_2", "w 100", "w_abc_def", "q_101",
           "w_100,w_200", "w_1%2", "hello", "w_100,", "$1x_3", "w_1\x00", "w_100?x=1", "f_j p g", "x" * 2001]


@pytest.mark.parametrize("text", VALID)
def test_valid(text):
    parse(text)


@pytest.mark.parametrize("text", INVALID)
def test_invalid(text):
    with pytest.raises(TransformationError):
        parse(text)


def test_structure():
    assert parse("w_1200,c_fill/f_auto") == [[Param("w", "1200"), Param("c", "fill")], [Param("f", "auto")]]


def test_every_sdk_parameter_is_known():
    # Transformation strings the Cloudinary SDK itself builds must pass.
    import cloudinary.utils
    built, _ = cloudinary.utils.generate_transformation_string(
        width=800, height=600, crop="fill", gravity="auto", fetch_format="auto", quality="auto", effect="sharpen",
        radius=20, angle=10, opacity=50, border="2px_solid_black", background="white", color="red", dpr=2,
        start_offset="auto", video_codec="auto", flags="progressive", zoom=1.5, x=10, y=-10, aspect_ratio="4:3")
    parse(built)
