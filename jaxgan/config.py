"""The defaults every experiment config starts from; each experiment overrides what it changes.

Every field can be overridden on the command line, e.g. `--config.loss.name=hinge`.
"""

import ml_collections


def default_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.seed = 0
    config.overwrite = False  # allow a workdir that holds a run of a different config

    # Data: a dataset by name (`jaxgan.data.names()`). Each declares its features
    # (`dataset.feature_specs()`): `x` and, where labelled, `label`; paired translation data
    # `source`/`target`, unpaired `x`/`y`. A batch holds the features the program reads.
    config.data = ml_collections.ConfigDict()
    config.data.name = "ring"
    config.data.split = "train"
    config.data.test_split = "test"  # held-out examples for evaluators (classifier_accuracy, discriminator_overfitting)
    config.data.labelled_per_class = 0  # semi_supervised: labelled examples per class (a seeded subset)
    # Limited data: train on num_train examples of the split (0: all), a subset drawn with subset_seed
    # (not config.seed: every seed of a run reads the same examples), stratified by class when labelled.
    config.data.num_train = 0
    config.data.subset_seed = 0
    config.data.data_dir = ml_collections.FieldReference(None, field_type=str)
    config.data.num_examples = 100_000  # for the synthetic mixtures
    config.data.image_size = 0  # 0: the dataset's own size; else resize/crop to this square size
    config.data.on_device = True  # keep a dataset that fits on the device, gather inside the step
    # Data read on the host (not kept on the device: tfds, folders): 0 reads each call's batches in the
    # training process; N > 0 decodes and resizes them ahead of the step in N Grain worker processes, each
    # `prefetch` calls ahead (jaxgan/data/pipeline.py). The same examples either way: launch-only settings.
    config.data.workers = 0
    config.data.prefetch = 2
    # "folder:<path>" and "array:<file>" (jaxgan/data/folder.py, array_file.py): how files are read.
    config.data.resize_filter = "bicubic"  # with image_size: PIL's nearest, box, bilinear, hamming, bicubic, lanczos
    config.data.channels = 0  # 0: as the files are (1 when all grey, else 3); 1 or 3 converts
    config.data.labels = "auto"  # auto, folders (class subfolders), dataset_json, none
    config.data.num_classes = 0  # 0: the largest label + 1; > 0: labels must lie below it
    config.data.skip_bad_files = False  # skip (and count) files that do not decode, instead of stopping
    # A resume refuses a file source whose data changed (the fingerprint in config.json) unless this is set.
    config.accept_changed_data = False

    # The family: a built-in one (`jaxgan.programs.registry.names()`) or "path/to/file.py:NAME"
    # (a `jaxgan.programs.family.Family` record in one's own file). Its own settings live in
    # config.<its section> (e.g. config.infogan), defaults from the record.
    config.program = "gan"

    # Models, by name (`jaxgan.models.generator_names()`, `discriminator_names()`); the other
    # fields of each dict are passed to the module's constructor.
    config.latent_dim = 2
    config.model = ml_collections.ConfigDict()
    config.model.generator = model_config("generator", "mlp")
    config.model.discriminator = model_config("discriminator", "mlp")
    config.model.dtype = "float32"  # compute dtype; params are always float32
    config.model.cross_device_batch_norm = True  # batch statistics over the whole global batch

    # Objective, by name (`jaxgan.losses.names()`), with its parameters.
    config.loss = ml_collections.ConfigDict()
    config.loss.name = "non_saturating"
    config.loss.params = ml_collections.ConfigDict()

    # Penalties on D: name -> weight; a weight of 0 leaves it out. Their own options beside.
    config.penalties = ml_collections.ConfigDict(
        {"gradient_penalty": 0.0, "one_sided_gradient_penalty": 0.0, "dragan": 0.0, "r1": 0.0, "r2": 0.0}
    )
    config.penalty_target_norm = 1.0
    config.clip_weights = 0.0  # > 0: clip every D weight to [-c, c] after each D step (WGAN)

    # Optimisers: any optax optimiser by its function name, with its keyword arguments.
    config.optimizer = ml_collections.ConfigDict()
    config.optimizer.generator = ml_collections.ConfigDict({"name": "adam", "learning_rate": 1e-4, "b1": 0.8})
    config.optimizer.discriminator = ml_collections.ConfigDict({"name": "adam", "learning_rate": 1e-4, "b1": 0.8})

    # The step.
    config.num_critic_steps = 1
    config.ema_decay = 0.0  # > 0: keep an EMA of G's params, used for samples and evaluation
    config.pack = 1  # PacGAN: D sees `pack` samples at once
    config.unroll_steps = 0  # Unrolled GAN: G's loss at D after K differentiable D steps
    config.feature_matching = 0.0  # weight of the feature-matching term in G's loss
    config.ema_rampup = 0.0  # > 0: ADA's EMA ramp-up, half-life at most ema_rampup x the steps taken (0.05)

    # Regularisers any family with a D can switch on (jaxgan/programs/regularise.py, README).
    config.lecam = ml_collections.ConfigDict({"weight": 0.0, "decay": 0.99})  # LeCam: D's anchors' EMA
    # Top-k: G's loss over the k generated examples D rates most real, k = max(fraction, decay^epoch) x batch;
    # an epoch is decay_every steps (0: one epoch of the dataset). fraction 1.0: off.
    config.top_k = ml_collections.ConfigDict({"fraction": 1.0, "decay": 0.99, "decay_every": 0})
    # Orthogonal regularisation (BigGAN) on the named networks (comma-separated), added to their groups' losses.
    config.orthogonal = ml_collections.ConfigDict({"weight": 0.0, "networks": "generator"})
    config.penalty_interval = 1  # lazy regularisation: the penalties every N steps, their weights times N
    # Training with little data (any family with a D that reads them; jaxgan/programs/augmentation.py):
    # DiffAugment's policies or ADA on every image D sees, and consistency regularisation (CR, bCR, zCR).
    from jaxgan.programs import augmentation  # the sections' defaults live beside the code that reads them

    config.augment = augmentation.augment_settings()
    config.consistency = augmentation.consistency_settings()

    # The loop.
    config.batch_size = 100  # global batch, over all devices and hosts
    config.num_steps = 1000
    config.steps_per_call = 10  # K steps per host call (lax.scan)
    config.log_every = 100
    config.checkpoint_every = 1000
    config.keep_checkpoints = 3
    # A lease on another host without a heartbeat (one per log and checkpoint) for this many seconds
    # is stale, and a relaunch takes it over (on the same host: as soon as its process has ended).
    config.lease_timeout = 600.0
    config.sample_every = 1000
    config.num_samples = 64  # images in a sample grid / points in a sample plot
    config.eval_every = 0  # 0: evaluate only at the end, when `evaluators` is non-empty
    config.evaluators = ""  # comma-separated names, e.g. "fid,kid,inception_score" or "mode_coverage"
    config.num_eval_samples = 2500

    # Many runs in one compile (vmapped over seeds, or over values of one hyperparameter).
    config.num_seeds = 1
    config.sweep_values = ""  # "path=v1,v2;path2=..." one run per value, vmapped (jaxgan/train/sweeps.py)
    # How the runs share the devices (the values do not change, to float rounding): divided over
    # `run_devices` devices (0: on a CPU as many as divide the runs, one a core; elsewhere 1), and
    # on each device batched ("vmap") or one after another ("in_turn"; "auto": in turn on a CPU).
    config.run_devices = 0
    config.run_mapping = "auto"
    config.multihost = False
    return config


def decay_over_second_half(config: ml_collections.ConfigDict, *groups: str) -> None:
    """Hold each named optimiser group's learning rate for the first half of the run, then decay
    it linearly to 0 (`config.optimizer.<group>.schedule`, an optax `linear_schedule` factor).

    `config.num_steps` becomes a reference the schedules read, so `--config.num_steps=N` moves
    the decay with it. Counted in each group's updates (a D trained n times a step decays over
    n times as many)."""
    steps = ml_collections.FieldReference(int(config.num_steps))
    config.num_steps = steps
    half = steps // 2
    for group in groups:
        config.optimizer[group].schedule = ml_collections.ConfigDict(
            {
                "name": "linear_schedule",
                "init_value": 1.0,
                "end_value": 0.0,
                "transition_begin": half,
                "transition_steps": half,
            }
        )


def overridable(value):
    """`value` with every list (in dicts too) as a tuple: ml_collections overrides a tuple field from the
    command line (`--config.model.generator.features='(64, 32)'`) but refuses a list field."""
    if isinstance(value, (list, tuple)):
        return tuple(overridable(v) for v in value)
    if isinstance(value, ml_collections.ConfigDict):
        value = value.to_dict()
    if isinstance(value, dict):
        return {k: overridable(v) for k, v in value.items()}
    return value


def model_config(kind: str, name: str, **settings) -> ml_collections.ConfigDict:
    """A model's entry in a config: its name and every setting (defaults, then `settings`); lists are
    stored as tuples, so that every setting can be overridden on the command line."""
    from jaxgan import models  # the settings come from the model classes themselves

    return ml_collections.ConfigDict(overridable({**models.default_settings(kind, name), **settings}))


def pacgan_mixture_config(dataset: str) -> ml_collections.ConfigDict:
    """PacGAN's 2-D benchmark (Lin et al. 2018, section 5; shared MATH.md section 7).

    G 4x400 BN+ReLU, D 3x200 maxout-5, Adam(1e-4, b1=0.8), batch 100, z ~ N(0, I_2),
    400 epochs of 100,000 points, evaluated on 2,500 samples. As the paper's code
    (fjxmlzn/PacGAN, synthetic_data_experiments/*/config.py, Blocks): every kernel from
    N(0, 0.02²) and biases 0; G's batch norm keeps running averages with decay 0.95 and
    epsilon 1e-4 (Blocks' BatchNormalization, updated by 0.05 of the batch statistics).
    """
    config = default_config()
    config.data.name = dataset
    config.latent_dim = 2
    config.model.generator = model_config(
        "generator",
        "mlp",
        width=400,
        depth=4,
        use_batch_norm=True,
        kernel_init_std=0.02,
        batch_norm_momentum=0.95,
        batch_norm_epsilon=1e-4,
    )
    config.model.discriminator = model_config(
        "discriminator", "mlp", width=200, depth=3, maxout_pieces=5, kernel_init_std=0.02
    )
    config.batch_size = 100
    config.num_steps = 400 * 100_000 // 100  # 400 epochs
    config.steps_per_call = 100
    config.log_every = 1000
    config.checkpoint_every = 20_000
    config.sample_every = 20_000
    config.num_samples = 2500
    config.evaluators = "mode_coverage"
    config.eval_every = 20_000
    return config


def dcgan_mnist_config() -> ml_collections.ConfigDict:
    """The survey's seed DCGAN on the bundled offline MNIST digits, non-saturating loss.

    Adam(2e-4, b1=0.5) for both networks, batch 64, z ~ N(0, I_100).
    """
    config = default_config()
    config.data.name = "mnist"
    config.latent_dim = 100
    config.model.generator = model_config("generator", "dcgan28")
    config.model.discriminator = model_config("discriminator", "dcgan28")
    adam = {"name": "adam", "learning_rate": 2e-4, "b1": 0.5}
    config.optimizer.generator = ml_collections.ConfigDict(adam)
    config.optimizer.discriminator = ml_collections.ConfigDict(adam)
    config.batch_size = 64
    config.num_steps = 1500  # about 5 minutes on 2 CPU cores; digit strokes from step ~200 on
    config.steps_per_call = 10  # K steps per host call (conv.py keeps conv gradients fast in the loop)
    config.log_every = 100
    config.checkpoint_every = 500
    config.sample_every = 500
    config.num_samples = 64
    config.evaluators = ""
    return config


def image_config(dataset: str, *, image_size: int, model: str, **model_settings) -> ml_collections.ConfigDict:
    """A tfds image dataset (prepared on disk) with a convolutional G and D of `image_size`.

    Radford et al. 2016's recipe: Adam(2e-4, b1=0.5), batch 64, z ~ N(0, I_100).
    """
    config = default_config()
    config.data.name = dataset
    config.data.image_size = image_size
    config.data.on_device = False  # read through tfds.data_source, a batch at a time
    config.latent_dim = 128 if model == "sngan_resnet" else 100
    size = {} if model == "sngan_resnet" else {"image_size": image_size}
    config.model.generator = model_config("generator", model, **size, **model_settings)
    config.model.discriminator = model_config("discriminator", model, **size)
    adam = {"name": "adam", "learning_rate": 2e-4, "b1": 0.5}
    config.optimizer.generator = ml_collections.ConfigDict(adam)
    config.optimizer.discriminator = ml_collections.ConfigDict(adam)
    config.batch_size = 64
    config.num_steps = 100_000
    config.steps_per_call = 1  # batches are read from disk per call; raise to amortise dispatch
    config.log_every = 100
    config.checkpoint_every = 5000
    config.sample_every = 1000
    config.ema_decay = 0.999
    config.evaluators = "fid,kid,inception_score"
    config.eval_every = 10_000
    config.num_eval_samples = 10_000
    return config
