"""Published numbers of the study we reproduce, as data.

Li, Xie, Chen, Dollár, He, Girshick. "Benchmarking Detection Transfer Learning with Vision
Transformers". arXiv:2111.11429, 2021. Mask R-CNN, COCO val2017, AP x 100.
"""
CITATION = ('Li et al. 2021, "Benchmarking Detection Transfer Learning with Vision '
            'Transformers", arXiv:2111.11429')

# Main table, best schedule per init: {init: {(metric, size): AP}}.
MAIN = {
    'supervised': {('box', 'B'): 47.9, ('box', 'L'): 49.3, ('mask', 'B'): 42.9, ('mask', 'L'): 43.9},
    'random': {('box', 'B'): 48.9, ('box', 'L'): 50.7, ('mask', 'B'): 43.6, ('mask', 'L'): 44.9},
    'mocov3': {('box', 'B'): 47.9, ('box', 'L'): 49.3, ('mask', 'B'): 42.7, ('mask', 'L'): 44.0},
    'beit': {('box', 'B'): 49.8, ('box', 'L'): 53.3, ('mask', 'B'): 44.4, ('mask', 'L'): 47.1},
    'mae': {('box', 'B'): 50.3, ('box', 'L'): 53.3, ('mask', 'B'): 44.9, ('mask', 'L'): 47.2},
}

# By schedule length (epochs): {(init, size): {epochs: {metric: AP}}}.
BY_SCHEDULE = {
    ('mae', 'B'): {
        25: {'box': 48.1, 'mask': 43.2},
        50: {'box': 50.1, 'mask': 44.6},
        100: {'box': 50.3, 'mask': 44.9},
    },
}


def paper_main(init: str, metric: str, size: str):
    """The main-table AP, or None where the paper has none."""
    return MAIN.get(init, {}).get((metric, size))


def paper_by_schedule(init: str, size: str, epochs: int, metric: str):
    return BY_SCHEDULE.get((init, size), {}).get(epochs, {}).get(metric)
