# --8<-- [start:preambule]
import logging
import os
import time

import matplotlib.pyplot as plt
import ray

ray.init(
    ignore_reinit_error=True,
    logging_level=logging.ERROR,
    log_to_driver=False,
)
# --8<-- [end:preambule]


# --8<-- [start:generate_fibonacci]
def generate_fibonacci(sequence_size: int) -> int:
    fibonacci = []
    for i in range(0, sequence_size):
        if i < 2:
            fibonacci.append(i)
            continue
        fibonacci.append(fibonacci[i - 1] + fibonacci[i - 2])
    return fibonacci[-1]
# --8<-- [end:generate_fibonacci]


# --8<-- [start:generate_fibonacci_distributed]
@ray.remote
def generate_fibonacci_distributed(sequence_size):
    return generate_fibonacci(sequence_size)
# --8<-- [end:generate_fibonacci_distributed]


# --8<-- [start:number_of_tasks]
number_of_tasks = os.cpu_count()
print(f"Processeurs vus par os.cpu_count()              : {number_of_tasks}")
print(f"CPU logiques du cluster Ray (cluster_resources) : {int(ray.cluster_resources()['CPU'])}")
# --8<-- [end:number_of_tasks]


# --8<-- [start:run_local]
def run_local(sequence_size):
    results = [generate_fibonacci(sequence_size) for _ in range(number_of_tasks)]
    return results
# --8<-- [end:run_local]


# --8<-- [start:chrono_local]
debut = time.perf_counter()
resultats_locaux = run_local(10_000)
print(f"run_local(10 000)  : {time.perf_counter() - debut:.4f} s")
# --8<-- [end:chrono_local]


# --8<-- [start:run_remote]
def run_remote(sequence_size):
    results = ray.get(
        [
            generate_fibonacci_distributed.remote(sequence_size)
            for _ in range(number_of_tasks)
        ]
    )
    return results
# --8<-- [end:run_remote]


# --8<-- [start:chrono_distant]
debut = time.perf_counter()
run_remote(10_000)  # premier appel : démarre les processus worker
print(f"run_remote(10 000), premier appel : {time.perf_counter() - debut:.4f} s")

debut = time.perf_counter()
resultats_distants = run_remote(10_000)
print(f"run_remote(10 000), appel suivant : {time.perf_counter() - debut:.4f} s")

assert resultats_distants == resultats_locaux
# --8<-- [end:chrono_distant]


# --8<-- [start:mesure_acceleration]
def meilleur_temps(fonction, argument, repetitions):
    """Plus petite durée (en secondes) parmi plusieurs exécutions."""
    durees = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        fonction(argument)
        durees.append(time.perf_counter() - debut)
    return min(durees)


tailles = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000]
accelerations = []
print(f"{'taille':>8} | {'local (s)':>10} | {'Ray (s)':>10} | accélération")
for taille in tailles:
    repetitions = 5 if taille <= 20_000 else 3
    temps_local = meilleur_temps(run_local, taille, repetitions)
    temps_ray = meilleur_temps(run_remote, taille, repetitions)
    accelerations.append(temps_local / temps_ray)
    print(f"{taille:>8} | {temps_local:>10.4f} | {temps_ray:>10.4f} | {accelerations[-1]:>11.2f}")
# --8<-- [end:mesure_acceleration]

# --8<-- [start:croisement]
# Plus petite taille à partir de laquelle Ray est plus rapide pour toutes les tailles suivantes
croisement = None
for i, taille in enumerate(tailles):
    if all(a > 1 for a in accelerations[i:]):
        croisement = taille
        break

if croisement is not None:
    print(f"Sur cette machine, Ray est plus rapide à partir d'une suite de {croisement} termes.")
elif any(a > 1 for a in accelerations):
    print("Sur cette machine, Ray n'a été plus rapide que pour certaines tailles, pas durablement.")
else:
    print("Sur cette machine, Ray n'a jamais été plus rapide dans cette plage de tailles.")
acceleration_ideale = min(number_of_tasks, int(ray.cluster_resources()["CPU"]))
print(f"Meilleure accélération mesurée : {max(accelerations):.2f} "
      f"(accélération idéale : {acceleration_ideale})")
# --8<-- [end:croisement]

# --8<-- [start:graphique]
fig, ax = plt.subplots(
    num="Accélération de run_remote par rapport à run_local en fonction de la taille "
    "de la suite de Fibonacci, mesurée à la construction de la page",
    figsize=(7, 4),
)
ax.plot(tailles, accelerations, marker="o", label="accélération mesurée")
ax.axhline(1, linestyle="--", color="gray", label="même durée (accélération = 1)")
ax.axhline(acceleration_ideale, linestyle=":", color="C1", label="accélération idéale")
ax.set_xscale("log")
ax.set_xticks(tailles, [str(taille) for taille in tailles])
ax.set_xticks([], minor=True)
ax.set_ylim(bottom=0)
ax.set_xlabel("taille de la suite (sequence_size)")
ax.set_ylabel("temps local / temps Ray")
ax.set_title(f"Accélération avec {number_of_tasks} tâches")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize="small")
plt.show()
# --8<-- [end:graphique]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
