"""Result tables and figures from real mmengine work dirs.

One real training run of the quickstart config (2 epochs of 1 image, validation after
each epoch, 96x96 input) is made once per module; every other run is a copy of its work
dir (checkpoints left out) where a test edits only what it needs, each edit commented:
the dumped config (init, size, lr, wd, seed, schedule) and the validation AP values in
scalars.json (a 2-iteration run has AP 0).
"""
import json
import math
import os
import os.path as osp
import shutil
import time

import pytest
from mmengine.config import Config

from mmvitdet.analysis.figures import convergence_figure, protocols_figure, save_figure, scaling_figure
from mmvitdet.analysis.grid_summary import find_grids, grid_matrix, grid_table
from mmvitdet.analysis.groups import group_runs
from mmvitdet.analysis.result_tables import (all_runs_table, main_table, protocols_table, repeats_table,
                                             schedule_table)
from mmvitdet.analysis.results_report import build_tables, runs_from_dirs, write_tables
from mmvitdet.analysis.runs import collect_run
from mmvitdet.analysis.workdir import TIMESTAMP

QUICKSTART = 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'
REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def real_run(tmp_path_factory):
    """Work dir of a real 2-epoch quickstart training (about 30 s on 2 CPU cores)."""
    from mmengine.runner import Runner

    from mmvitdet.analysis.input_size import rewrite_input_size
    from mmvitdet.engine.launch_config import load_launch_config

    root = tmp_path_factory.mktemp('analysis_run')
    data = str(root / 'data') + '/'
    loader = dict(batch_size=1, num_workers=0, persistent_workers=False)
    generate = dict(num_train=1, num_val=1, img_size=96)
    options = {
        'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 1,
        'train_dataloader': dict(loader, dataset=dict(data_root=data, generate=generate)),
        'val_dataloader': dict(loader, dataset=dict(data_root=data, generate=generate)),
        'test_dataloader': dict(loader, dataset=dict(data_root=data, generate=generate)),
        'val_evaluator.ann_file': data + 'annotations/instances_val.json',
        'test_evaluator.ann_file': data + 'annotations/instances_val.json',
        'model.train_cfg.rpn_proposal.nms_pre': 200,
        'model.train_cfg.rpn_proposal.max_per_img': 50,
        'model.test_cfg.rpn.nms_pre': 100, 'model.test_cfg.rpn.max_per_img': 50,
        'default_hooks.logger.interval': 1, 'randomness.seed': 0,
    }
    cfg = load_launch_config(osp.join(REPO, QUICKSTART), options, str(root / 'run'))
    rewrite_input_size(cfg, 96)
    Runner.from_cfg(cfg).train()
    return str(root / 'run')


def _launch_dir(work_dir):
    return next(osp.join(work_dir, e) for e in sorted(os.listdir(work_dir)) if TIMESTAMP.match(e))


def _config_path(work_dir):
    return osp.join(_launch_dir(work_dir), 'vis_data', 'config.py')


def _scalars(work_dir):
    return osp.join(_launch_dir(work_dir), 'vis_data', 'scalars.json')


def _read_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _write_lines(path, records):
    with open(path, 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in records)


def make_run(real_run, dest, init='random', size='T', lr=None, wd=None, dp=None, seed=None,
             epochs=None, box=None, mask=None, checkpoint=None, fmt=None, frozen=False, cascade=False):
    """Copy ``real_run`` (without checkpoints) to ``dest`` and edit what a test needs.

    Edits: the dumped config's init (a Pretrained init_cfg with that format, or ``fmt``, and
    ``checkpoint`` or /ckpt/<init>.pth), size
    (arch), lr, wd, drop path, seed; ``epochs`` truncates the records to the first
    ``epochs`` epochs and sets max_epochs accordingly (a shorter schedule); ``box``/
    ``mask`` set the AP of the last validation (earlier ones 5 AP lower); ``frozen`` / ``cascade`` the
    protocol (frozen_stages='all') and detector (the RoI head's type).
    """
    shutil.copytree(real_run, dest, ignore=shutil.ignore_patterns('*.pth', 'last_checkpoint'))
    cfg_path = _config_path(dest)
    cfg = Config.fromfile(cfg_path)
    if init != 'random':
        cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=checkpoint or f'/ckpt/{init}.pth',
                                           format=fmt or init)
    if size != 'T':
        cfg.model.backbone.arch = {'B': 'base', 'L': 'large'}[size]
    if lr is not None:
        cfg.optim_wrapper.optimizer.lr = lr
    if wd is not None:
        cfg.optim_wrapper.optimizer.weight_decay = wd
    if dp is not None:
        cfg.model.backbone.drop_path_rate = dp
    if seed is not None:
        cfg.randomness = dict(seed=seed)
    if epochs is not None:
        cfg.train_cfg.max_epochs = epochs
    if frozen:
        cfg.model.backbone.frozen_stages = 'all'
    if cascade:
        cfg.model.roi_head.type = 'ViTDetCascadeRoIHead'
    cfg.dump(cfg_path)
    records = _read_lines(_scalars(dest))
    if epochs is not None:
        records = [r for r in records if r.get('epoch', r.get('step')) <= epochs]
    vals = [r for r in records if 'coco/bbox_mAP' in r]
    for i, rec in enumerate(vals):
        drop = 0.05 if i < len(vals) - 1 else 0.0
        if box is not None:
            rec['coco/bbox_mAP'] = round(box / 100 - drop, 4)
        if mask is not None:
            rec['coco/segm_mAP'] = round(mask / 100 - drop, 4)
    _write_lines(_scalars(dest), records)
    return str(dest)


def _row(table, first):
    return next(r for r in table.rows if r[0] == first)


def test_real_run_is_read_as_finished_with_its_curve(real_run):
    run = collect_run(real_run)
    assert run.status == 'finished', run.detail
    assert run.identity.init == 'random' and run.identity.size == 'T'
    assert run.identity.schedule == 2 and run.identity.by_epoch
    assert run.identity.lr == pytest.approx(1e-3) and run.identity.variant == ''
    assert run.seed == 0
    assert [step for step, _, _ in run.curve] == [1, 2]  # validation after each epoch
    assert run.box is not None and 0.0 <= run.box <= 100.0


def test_main_table_puts_ours_beside_the_paper(real_run, tmp_path):
    # MAE ViT-B at the paper's numbers, supervised ViT-L 1.0 AP below them.
    make_run(real_run, tmp_path / 'mae_b', init='mae', size='B', box=50.3, mask=44.9)
    make_run(real_run, tmp_path / 'sup_l', init='supervised', size='L', box=48.3, mask=42.9)
    runs = runs_from_dirs([str(tmp_path)])
    table = main_table(group_runs(runs))
    col = {h: i for i, h in enumerate(table.headers)}
    mae = _row(table, 'MAE')
    assert mae[col['APbox B']] == '50.3' and mae[col['APbox B paper']] == '50.3'
    assert mae[col['APbox B Δ']] == '+0.0' and mae[col['APmask B']] == '44.9'
    assert mae[col['APbox L']] == '-' and mae[col['APbox L paper']] == '53.3'
    sup = _row(table, 'supervised (IN1k)')
    assert sup[col['APbox L']] == '48.3' and sup[col['APbox L Δ']] == '-1.0'
    assert sup[col['APmask L Δ']] == '-1.0'
    assert sup[col['run L']].startswith('2e lr 0.001 wd 0.1 dp 0')
    assert _row(table, 'BEiT')[col['APbox B paper']] == '49.8'
    latex = table.render('tex')
    assert r'\toprule' in latex and r'$\Delta$' in latex and 'supervised (IN1k)' in latex
    csv_text = table.render('csv')
    assert csv_text.splitlines()[0].startswith('init,APbox B,APbox B paper,APbox B Δ')


# Inits beyond the paper as their configs name them: the official file and its layout ('dino' and
# 'hf_clip' name no init by themselves: DINO/iBOT, CLIP/SigLIP; the file name tells).
NEW_INIT_FILES = {'dino': ('dino_vitbase16_pretrain.pth', 'dino'),
                  'dinov2': ('dinov2_vitb14_pretrain.pth', 'dinov2'),
                  'clip': ('ViT-B-16.pt', 'clip'),
                  'siglip': ('siglip-base-patch16-224', 'hf_clip')}


def make_new_init_run(real_run, dest, init, size='B', **kwargs):
    name, fmt = NEW_INIT_FILES[init]
    return make_run(real_run, dest, init=init, size=size, checkpoint=f'/ckpt/{name}', fmt=fmt, **kwargs)


def test_new_inits_are_rows_without_paper_numbers(real_run, tmp_path):
    make_run(real_run, tmp_path / 'mae_b', init='mae', size='B', box=50.3, mask=44.9)
    for init, box in (('siglip', 47.0), ('clip', 48.5), ('dinov2', 52.0), ('dino', 49.0)):
        make_new_init_run(real_run, tmp_path / f'{init}_b', init, box=box, mask=box - 6)
    make_new_init_run(real_run, tmp_path / 'dinov2_l', 'dinov2', size='L', box=55.0, mask=48.0)
    runs = runs_from_dirs([str(tmp_path)])
    assert {r.name: r.identity.init for r in runs}['siglip_b'] == 'siglip'
    table = main_table(group_runs(runs))
    col = {h: i for i, h in enumerate(table.headers)}
    # the paper's five in its order (their paper numbers shown even without runs), then the new ones
    assert [r[0] for r in table.rows] == ['supervised (IN1k)', 'random', 'MoCo v3', 'BEiT', 'MAE',
                                          'DINO', 'DINOv2', 'CLIP', 'SigLIP']
    dinov2 = _row(table, 'DINOv2')
    assert dinov2[col['APbox B']] == '52.0' and dinov2[col['APbox L']] == '55.0'
    assert dinov2[col['APmask L']] == '48.0'
    assert all(dinov2[col[f'{m} {s} {k}']] == '-' for m in ('APbox', 'APmask') for s in 'BL'
               for k in ('paper', 'Δ'))
    assert _row(table, 'CLIP')[col['APbox B']] == '48.5' and _row(table, 'CLIP')[col['APbox L']] == '-'
    assert _row(table, 'MAE')[col['APbox B Δ']] == '+0.0'
    assert any(n.startswith('DINO, DINOv2, CLIP, SigLIP: beyond the paper') for n in table.notes)
    assert '| DINOv2 | 52.0 | - | - |' in table.render('md')


def test_protocols_table_and_main_table_keep_protocols_apart(real_run, tmp_path):
    make_run(real_run, tmp_path / 'mae_b', init='mae', size='B', box=50.3, mask=44.9)
    make_run(real_run, tmp_path / 'mae_b_frozen', init='mae', size='B', box=42.1, mask=38.0, frozen=True)
    make_run(real_run, tmp_path / 'mae_b_cascade', init='mae', size='B', box=53.0, mask=46.0, cascade=True)
    runs = runs_from_dirs([str(tmp_path)])
    assert {r.name: (r.identity.protocol, r.identity.detector) for r in runs} == {
        'mae_b': ('full', 'mask-rcnn'), 'mae_b_frozen': ('frozen', 'mask-rcnn'),
        'mae_b_cascade': ('full', 'cascade-mask-rcnn')}
    groups = group_runs(runs)
    main = main_table(groups)
    assert _row(main, 'MAE')[main.headers.index('APbox B')] == '50.3'  # the paper's protocol only
    table = protocols_table(groups)
    col = {h: i for i, h in enumerate(table.headers)}
    row = _row(table, 'MAE')
    assert (row[col['APbox fine-tuned']], row[col['APbox frozen']], row[col['frozen Δ']]) == ('50.3', '42.1', '-8.2')
    assert (row[col['APbox Cascade']], row[col['Cascade Δ']], row[col['APbox Cascade frozen']]) == ('53.0', '+2.7', '-')
    labels = {g.runs[0].name: g.label for g in groups}
    assert labels['mae_b_frozen'].endswith('(frozen)') and labels['mae_b_cascade'].endswith('(cascade)')


def test_protocols_figure_and_cli(real_run, tmp_path):
    """Per init a column: fine-tuned, frozen and Cascade markers, the frozen gap written beside its line."""
    import importlib.util
    runs_dir = tmp_path / 'runs'
    make_run(real_run, runs_dir / 'mae_b', init='mae', size='B', box=50.3, mask=44.9)
    make_run(real_run, runs_dir / 'mae_b_frozen', init='mae', size='B', box=42.1, mask=38.0, frozen=True)
    make_run(real_run, runs_dir / 'mae_b_cascade', init='mae', size='B', box=53.0, mask=46.0, cascade=True)
    make_run(real_run, runs_dir / 'mocov3_b', init='mocov3', size='B', box=47.9, mask=42.7)
    make_run(real_run, runs_dir / 'mocov3_b_frozen', init='mocov3', size='B', box=44.0, mask=39.0, frozen=True)
    make_run(real_run, runs_dir / 'random_b', init='random', size='B', box=48.9, mask=43.6)  # fine-tuned only
    groups = group_runs(runs_from_dirs([str(runs_dir)]))
    ax = protocols_figure(groups, size='B').axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ['MoCo v3', 'MAE']  # the paper's order; random: no pair
    assert [t.get_text() for t in ax.texts] == ['-3.9', '-8.2']
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ['fine-tuned', 'frozen', 'Cascade']
    assert protocols_figure(groups, size='L') is None
    spec = importlib.util.spec_from_file_location('plot_protocols', osp.join(REPO, 'tools/analysis/plot_protocols.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    cli.main([str(runs_dir), '--size', 'B', '--out', str(tmp_path / 'protocols')])
    assert _png_ok(str(tmp_path / 'protocols.png'))


def test_figures_include_new_inits(real_run, tmp_path):
    from mmvitdet.analysis.figures import COLORS
    make_run(real_run, tmp_path / 'mae_b', init='mae', size='B', box=50.0)
    make_run(real_run, tmp_path / 'mae_l', init='mae', size='L', box=53.0)
    make_new_init_run(real_run, tmp_path / 'dinov2_b_1e', 'dinov2', epochs=1, box=49.0)
    make_new_init_run(real_run, tmp_path / 'dinov2_b', 'dinov2', box=52.0)
    make_new_init_run(real_run, tmp_path / 'dinov2_l', 'dinov2', size='L', box=54.5)
    groups = group_runs(runs_from_dirs([str(tmp_path)]))
    ax = scaling_figure(groups).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ['MAE', 'DINOv2', 'paper']
    assert [t.get_text() for t in ax.texts] == ['+3.0', '+2.5']
    solid = {line.get_label(): line.get_color() for line in ax.get_lines() if line.get_linestyle() == '-'}
    assert solid['DINOv2'] == COLORS['dinov2'] != solid['MAE']
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == '--']
    assert len(dashed) == 1  # the paper's line for MAE only: no paper numbers for DINOv2
    ax = convergence_figure(groups, size='B').axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ['MAE', 'DINOv2', 'MAE (paper)']


def test_unfinished_and_diverged_runs_are_listed_not_counted(real_run, tmp_path):
    make_run(real_run, tmp_path / 'done', init='mae', size='B', box=50.0, mask=44.0)
    # Unfinished: the same config stopped after epoch 1 of 2 (later records removed).
    stopped = make_run(real_run, tmp_path / 'stopped', init='mae', size='B', box=60.0)
    records = [r for r in _read_lines(_scalars(stopped)) if r.get('epoch', r.get('step')) <= 1]
    _write_lines(_scalars(stopped), records)
    old = time.time() - 5 * 3600  # and nothing written for 5 hours
    for dirpath, _, files in os.walk(stopped):
        for f in files:
            os.utime(osp.join(dirpath, f), (old, old))
    # Diverged: a non-finite loss in its log.
    diverged = make_run(real_run, tmp_path / 'diverged', init='mae', size='B', box=70.0)
    records = _read_lines(_scalars(diverged))
    next(r for r in records if 'loss' in r and r['epoch'] == 2)['loss'] = math.nan
    _write_lines(_scalars(diverged), records)

    runs = {r.name: r for r in runs_from_dirs([str(tmp_path)])}
    assert runs['stopped'].status == 'stopped' and 'epoch 1/2' in runs['stopped'].detail
    assert runs['diverged'].status == 'diverged' and runs['diverged'].detail == 'loss nan at epoch 2 of 2'
    assert collect_run(stopped, stale_hours=10).status == 'running'
    groups = group_runs(list(runs.values()))
    mae = _row(main_table(groups), 'MAE')
    assert mae[1] == '50.0'  # neither the unfinished 60.0 nor the diverged 70.0
    listing = all_runs_table(groups, list(runs.values()))
    status = {row[0]: row[4] for row in listing.rows}
    assert status['done'] == 'finished'
    assert status['stopped'].startswith('stopped: epoch 1/2')
    assert status['diverged'].startswith('diverged: loss nan at epoch 2')


def test_repeats_give_mean_and_std(real_run, tmp_path):
    for seed, box in [(0, 50.1), (1, 50.3), (2, 50.5)]:
        make_run(real_run, tmp_path / f'seed{seed}', init='mae', size='B', seed=seed, box=box,
                 mask=44.0 + seed)
    make_run(real_run, tmp_path / 'other_lr', init='mae', size='B', lr=1.6e-4, box=49.0)
    groups = group_runs(runs_from_dirs([str(tmp_path)]))
    assert sorted(g.n for g in groups) == [1, 3]
    table = repeats_table(groups)
    assert len(table.rows) == 1
    row = dict(zip(table.headers, table.rows[0]))
    assert row['n'] == '3' and row['APbox mean'] == '50.3' and row['APbox std'] == '0.20'
    assert row['APbox range'] == '50.1-50.5' and row['APmask std'] == '1.00'
    assert row['seeds'] == '0 1 2'
    assert _row(main_table(groups), 'MAE')[1] == '50.3 ± 0.2 (n=3)'


def test_grid_marks_best_and_warns_on_edge(real_run, tmp_path):
    # The paper's first grid (lr x wd at dp 0): best at the largest lr -> extend above it.
    lrs, wds = (8e-5, 1.6e-4, 3.2e-4), (0.05, 0.1, 0.2)
    for i, lr in enumerate(lrs):
        for j, wd in enumerate(wds):
            box = 45.0 + 2 * i - abs(j - 1)  # best: lr 3.2e-4, wd 0.1
            make_run(real_run, tmp_path / 'edge' / f'lr{lr:g}_wd{wd:g}', init='mae', size='B',
                     lr=lr, wd=wd, dp=0.0, box=box)
    # A drop-path sweep at another schedule length whose best point is inside.
    for dp, box in [(0.0, 47.0), (0.1, 48.0), (0.2, 47.5)]:
        make_run(real_run, tmp_path / 'inside' / f'dp{dp:g}', init='mae', size='B', dp=dp,
                 epochs=1, box=box)
    runs = runs_from_dirs([str(tmp_path / 'edge'), str(tmp_path / 'inside')])
    grids = find_grids(group_runs(runs), runs)
    assert sorted(len(g.points) for g in grids) == [3, 9]
    edge = next(g for g in grids if len(g.points) == 9)
    inside = next(g for g in grids if len(g.points) == 3)
    assert (edge.best.identity.lr, edge.best.identity.wd) == (3.2e-4, 0.1)
    assert edge.edge_warnings() == [
        'best lr=0.00032 is the largest tried (8e-05, 0.00016, 0.00032): extend the grid above it']
    assert inside.edge_warnings() == [] and inside.best.identity.dp == 0.1
    table = grid_table(edge)
    assert len(table.rows) == 9
    starred = [r for r in table.rows if r[6] == '★']
    assert len(starred) == 1 and starred[0][:3] == ['0.00032', '0.1', '0']
    assert any(n.startswith('WARNING: best lr=0.00032') for n in table.notes)
    matrix = grid_matrix(edge)
    assert matrix.headers == ['lr \\ wd', '0.05', '0.1', '0.2']
    assert _row(matrix, '0.00032') == ['0.00032', '48.0', '49.0 ★', '48.0']
    assert grid_matrix(inside) is None  # only dp varies


def test_grid_lists_unfinished_points(real_run, tmp_path):
    make_run(real_run, tmp_path / 'a', init='mae', size='B', lr=8e-5, box=47.0)
    make_run(real_run, tmp_path / 'b', init='mae', size='B', lr=1.6e-4, box=48.0)
    pending = make_run(real_run, tmp_path / 'c', init='mae', size='B', lr=3.2e-4)
    # unfinished: the validation after the last epoch removed
    records = _read_lines(_scalars(pending))
    _write_lines(_scalars(pending), records[:-1])
    runs = runs_from_dirs([str(tmp_path)])
    (grid, ) = find_grids(group_runs(runs), runs)
    table = grid_table(grid)
    assert [r[0] for r in table.rows] == ['8e-05', '0.00016', '0.00032']
    assert table.rows[2][7].startswith('running: epoch 2/2')
    assert any('1 point(s) not finished' in n for n in table.notes)
    # the best finished point is on the edge of what finished: warned
    assert any('largest tried' in n for n in table.notes)


def test_schedule_table_and_written_files(real_run, tmp_path):
    make_run(real_run, tmp_path / 'mae_1e', init='mae', size='B', epochs=1, box=48.1, mask=43.0)
    make_run(real_run, tmp_path / 'mae_2e', init='mae', size='B', box=50.1, mask=44.6)
    runs = runs_from_dirs([str(tmp_path / 'mae_1e'), str(tmp_path / 'mae_2e')])
    table = schedule_table(group_runs(runs))
    assert [r[:4] for r in table.rows] == [['MAE', 'B', '1', '48.1'], ['MAE', 'B', '2', '50.1']]
    written = write_tables(build_tables(runs), str(tmp_path / 'out'))
    assert {osp.splitext(p)[1] for p in written} == {'.md', '.csv', '.tex'}
    assert all(osp.getsize(p) > 0 for p in written)


def test_results_table_cli(real_run, tmp_path, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'results_table', osp.join(REPO, 'tools/analysis/results_table.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    make_run(real_run, tmp_path / 'runs' / 'mae_b', init='mae', size='B', box=50.0, mask=44.0)
    cli.main([str(tmp_path / 'runs'), '--tables', 'main', 'runs'])
    out = capsys.readouterr().out
    assert '### Main results: best schedule per init' in out and '| MAE | 50.0 | 50.3 | -0.3 |' in out
    (tmp_path / 'empty').mkdir()
    with pytest.raises(SystemExit, match='no mmengine work dir'):
        cli.main([str(tmp_path / 'empty')])
    with pytest.raises(SystemExit, match='is not a directory'):
        cli.main([str(tmp_path / 'missing')])


def _png_ok(path):
    with open(path, 'rb') as f:
        return f.read(8) == b'\x89PNG\r\n\x1a\n' and osp.getsize(path) > 5000


def test_convergence_figure_from_schedules_and_per_epoch(real_run, tmp_path):
    make_run(real_run, tmp_path / 'mae_1e', init='mae', size='B', epochs=1, box=45.0)
    make_run(real_run, tmp_path / 'mae_2e', init='mae', size='B', box=48.0)
    make_run(real_run, tmp_path / 'rand_2e', size='B', box=44.0)
    groups = group_runs(runs_from_dirs([str(tmp_path)]))
    fig = convergence_figure(groups, size='B')
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ['random', 'MAE', 'MAE (paper)']
    assert [t.get_text() for t in ax.get_xticklabels()] == ['1', '2', '25', '50', '100']
    paths = save_figure(fig, str(tmp_path / 'fig' / 'convergence'))
    assert _png_ok(paths[0]) and osp.getsize(paths[1]) > 1000
    assert convergence_figure(groups, size='L') is None


def test_scaling_figure_and_cli(real_run, tmp_path):
    import importlib.util
    make_run(real_run, tmp_path / 'runs' / 'mae_b', init='mae', size='B', box=50.0)
    make_run(real_run, tmp_path / 'runs' / 'mae_l', init='mae', size='L', box=53.0)
    fig = scaling_figure(group_runs(runs_from_dirs([str(tmp_path / 'runs')])))
    gains = [t.get_text() for t in fig.axes[0].texts]
    assert gains == ['+3.0']
    spec = importlib.util.spec_from_file_location(
        'plot_scaling', osp.join(REPO, 'tools/analysis/plot_scaling.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    cli.main([str(tmp_path / 'runs'), '--out', str(tmp_path / 'scaling')])
    assert _png_ok(str(tmp_path / 'scaling.png'))


def test_gpu_count_separates_configs_and_scaled_lr_is_noted(real_run, tmp_path):
    one = make_run(real_run, tmp_path / 'one_gpu', init='mae', size='B', box=50.0)
    eight = make_run(real_run, tmp_path / 'eight_gpus', init='mae', size='B', box=51.0)
    # Edits: the log header says 8 GPUs, and the dumped config scales the lr for batch 8 ...
    log = osp.join(_launch_dir(eight), osp.basename(_launch_dir(eight)) + '.log')
    with open(log) as f:
        text = f.read()
    assert 'GPU number: 1' in text
    with open(log, 'w') as f:
        f.write(text.replace('GPU number: 1', 'GPU number: 8'))
    cfg = Config.fromfile(_config_path(eight))
    cfg.auto_scale_lr = dict(enable=True, base_batch_size=16)  # ... from a base of 16
    cfg.dump(_config_path(eight))
    runs = {r.name: r for r in runs_from_dirs([one, eight])}
    assert runs['one_gpu'].total_batch == 1 and runs['eight_gpus'].total_batch == 8
    assert runs['eight_gpus'].notes == [
        "total batch 8 (8 GPUs x 1): auto_scale_lr scaled the lr by 0.5 (the config's lr is "
        'for batch 16)']
    groups = group_runs(list(runs.values()))
    assert sorted(g.n for g in groups) == [1, 1]  # not pooled as repeats
    assert any('<total batch>' in g.differs for g in groups)
