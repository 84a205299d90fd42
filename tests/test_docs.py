"""README.md and docs/ cannot drift from the code silently: links, named files, the flags shown for each tool and
the words used (tests/docs_check.py); and each check fails on a page that breaks it."""
from pathlib import Path

import docs_check

REPO = Path(__file__).resolve().parents[1]


def test_readme_is_short_and_links_every_page():
    readme = (REPO / 'README.md').read_text()
    assert len(readme.splitlines()) <= 200
    for page in sorted((REPO / 'docs').glob('*.md')):
        assert f'(docs/{page.name})' in readme, f'README.md does not link docs/{page.name}'
    assert 'bash tools/setup.sh' in readme and 'bash tools/run_tests.sh' in readme


def test_every_link_resolves():
    assert docs_check.broken_links(REPO) == []


def test_every_named_tool_and_config_exists():
    assert docs_check.missing_paths(REPO) == []


def test_every_flag_shown_is_in_the_tools_help():
    tools = sorted(docs_check.shown_flags(REPO))
    helps = docs_check.help_texts(REPO, tools)  # one interpreter for all tools
    assert '--work-dir' in helps['tools/train.py']  # the driver really reads each tool's --help
    assert docs_check.unknown_flags(REPO, lambda root, names: helps) == []


def test_no_page_speaks_of_how_the_project_was_made():
    assert docs_check.making_words(REPO, [REPO / 'configs' / 'ablations' / 'README.md']) == []


def test_each_check_fails_on_a_broken_page(tmp_path):
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'train.py').write_text('')
    (tmp_path / 'README.md').write_text(
        'See [the guide](docs/guide.md) and [gone](docs/gone.md).\n'
        '`python tools/train.py configs/{a,b}/x.py --work-dir w --no-such-flag`\n'
        '`python tools/missing.py`; configs/<init>/ is a placeholder\n'
        'Measured in an earlier session.\n')
    (tmp_path / 'docs' / 'guide.md').write_text('![pic](../docs/demo.png)\n')
    assert docs_check.broken_links(tmp_path) == ['README.md: link docs/gone.md does not resolve',
                                                 'docs/guide.md: link ../docs/demo.png does not resolve']
    assert docs_check.missing_paths(tmp_path) == ['README.md: names configs/a/x.py, which does not exist',
                                                  'README.md: names configs/b/x.py, which does not exist',
                                                  'README.md: names tools/missing.py, which does not exist']
    fake_help = lambda root, tools: {t: 'usage: train.py [--work-dir WORK_DIR]' for t in tools}  # noqa: E731
    assert docs_check.unknown_flags(tmp_path, fake_help) == [
        'README.md: tools/train.py --no-such-flag is not in its --help']
    assert docs_check.making_words(tmp_path) == [
        'README.md:4: "session" speaks of how the project was made']
