# --8<-- [start:preambule]
import heapq
import logging
import random
import time

import matplotlib.pyplot as plt
import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)

generateur = random.Random(2024)  # des nombres aléatoires, les mêmes à chaque exécution
# --8<-- [end:preambule]


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
# --8<-- [end:affichage]


# --8<-- [start:bubble_sort]
def bubble_sort(values):
    """Tri à bulles : renvoie une nouvelle liste triée, en n²/2 comparaisons au pire."""
    result = list(values)
    n = len(result)
    for i in range(n - 1):
        swapped = False
        for j in range(n - 1 - i):
            if result[j] > result[j + 1]:
                result[j], result[j + 1] = result[j + 1], result[j]
                swapped = True
        if not swapped:  # aucun échange : la liste est déjà triée
            break
    return result


exemple = [generateur.randint(0, 99) for _ in range(20)]
print(f"Avant : {exemple}")
print(f"Après : {bubble_sort(exemple)}")
assert bubble_sort(exemple) == sorted(exemple)
# --8<-- [end:bubble_sort]


# --8<-- [start:decoupage]
def split(values, k):
    """Découpe values en k morceaux de tailles voisines."""
    taille, reste = divmod(len(values), k)
    morceaux, debut = [], 0
    for i in range(k):
        fin = debut + taille + (1 if i < reste else 0)
        morceaux.append(values[debut:fin])
        debut = fin
    return morceaux


def bubble_sort_chunked_local(values, k):
    """Même algorithme que la version Ray, sans Ray : les k morceaux sont triés l'un après l'autre."""
    sorted_chunks = [bubble_sort(chunk) for chunk in split(values, k)]
    return list(heapq.merge(*sorted_chunks))
# --8<-- [end:decoupage]


# --8<-- [start:version_ray]
@ray.remote
def bubble_sort_task(chunk):
    return bubble_sort(chunk)


def bubble_sort_distributed(values, k):
    """Trie les k morceaux dans k tâches Ray en parallèle, puis fusionne les morceaux triés."""
    refs = [bubble_sort_task.remote(chunk) for chunk in split(values, k)]
    sorted_chunks = ray.get(refs)
    return list(heapq.merge(*sorted_chunks))
# --8<-- [end:version_ray]


# --8<-- [start:verification_tris]
def verifier_tri(tri, *arguments):
    for n in [0, 1, 2, 10, 101]:
        valeurs = [generateur.randint(0, 50) for _ in range(n)]  # avec des doublons
        copie = list(valeurs)
        try:
            resultat = tri(valeurs, *arguments)
        except NotImplementedError:
            raise AssertionError(f"{tri.__name__} n'est pas encore écrite.") from None
        assert valeurs == copie, f"{tri.__name__} ne doit pas modifier la liste qu'elle reçoit"
        assert resultat == sorted(valeurs), (
            f"{tri.__name__} sur une liste de {n} nombres{f', k = {arguments[0]}' if arguments else ''} : "
            "le résultat n'est pas sorted(values), la liste triée"
        )


verifier_tri(bubble_sort)
for k_essai in [1, 3, 8]:
    verifier_tri(bubble_sort_chunked_local, k_essai)
    verifier_tri(bubble_sort_distributed, k_essai)
print("✓ Les trois versions trient correctement, pour 1, 3 et 8 morceaux.")
# --8<-- [end:verification_tris]


# --8<-- [start:mesure]
k = int(ray.cluster_resources()["CPU"])  # un morceau par CPU du cluster
print(f"Nombre de morceaux k : {k}")


def meilleur_temps(fonction, *arguments, repetitions=3):
    """Plus petite durée (en secondes) parmi plusieurs exécutions."""
    durees = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        fonction(*arguments)
        durees.append(time.perf_counter() - debut)
    return min(durees)


tailles = [250, 500, 1_000, 2_000, 4_000]
temps = {"locale": [], "locale découpée": [], "Ray": []}
for n in tailles:
    valeurs = [generateur.random() for _ in range(n)]
    repetitions = 3 if n <= 1_000 else 2
    temps["locale"].append(meilleur_temps(bubble_sort, valeurs, repetitions=repetitions))
    temps["locale découpée"].append(meilleur_temps(bubble_sort_chunked_local, valeurs, k, repetitions=repetitions))
    temps["Ray"].append(meilleur_temps(bubble_sort_distributed, valeurs, k, repetitions=repetitions))
# --8<-- [end:mesure]

# --8<-- [start:tableau]
print(f"{'n':>5} | {'locale (s)':>10} | {'locale découpée (s)':>19} | {'Ray (s)':>7}")
for i, n in enumerate(tailles):
    locale, decoupee, distante = (fr(temps[version][i], 4) for version in temps)
    print(f"{fr(n, 0):>5} | {locale:>10} | {decoupee:>19} | {distante:>7}")
# --8<-- [end:tableau]

# --8<-- [start:graphique]
fig, ax = plt.subplots(
    num="Durée du tri à bulles local, du tri local découpé en morceaux et du tri "
    "découpé exécuté par des tâches Ray, en fonction du nombre d'éléments, "
    "mesurée à la construction de la page",
    figsize=(7, 4),
)
for nom, durees in temps.items():
    legende = {"locale": "tri local", "locale découpée": "tri local découpé", "Ray": "tri découpé, par Ray"}
    ax.plot(tailles, durees, marker="o", label=legende[nom])
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks(tailles, [str(n) for n in tailles])
ax.set_xticks([], minor=True)
ax.set_xlabel("nombre d'éléments n")
ax.set_ylabel("durée (s)")
ax.set_title(f"Tri à bulles, k = {k} morceaux")
ax.legend()
plt.show()
# --8<-- [end:graphique]


# --8<-- [start:conclusion]
def premiere_taille_gagnante(rapides, lents):
    """Plus petite taille à partir de laquelle « rapides » bat « lents » pour toutes les tailles suivantes."""
    for i, n in enumerate(tailles):
        if all(r < l for r, l in zip(rapides[i:], lents[i:])):
            return n
    return None


for reference in ["locale", "locale découpée"]:
    n_min = premiere_taille_gagnante(temps["Ray"], temps[reference])
    gain = temps[reference][-1] / temps["Ray"][-1]
    if n_min is None:
        print(f"Ray ne bat pas la version « {reference} » dans cette plage de tailles "
              f"(rapport à n = {fr(tailles[-1], 0)} : {fr(gain)}).")
    else:
        print(f"Ray bat la version « {reference} » à partir de n = {fr(n_min, 0)} "
              f"(à n = {fr(tailles[-1], 0)}, {fr(gain, 1)} fois plus rapide).")

part_decoupage = temps["locale"][-1] / temps["locale découpée"][-1]
part_parallelisme = temps["locale découpée"][-1] / temps["Ray"][-1]
print(f"À n = {fr(tailles[-1], 0)}, le découpage seul divise la durée par {fr(part_decoupage, 1)} ; ", end="")
if part_parallelisme > 1:
    print(f"le parallélisme la divise encore par {fr(part_parallelisme, 1)}, pour k = {k} morceaux triés en même temps.")
else:
    print(f"le parallélisme n'apporte rien de plus ici (rapport {fr(part_parallelisme)}).")
# --8<-- [end:conclusion]

# --8<-- [start:verification_mesures]
# Ce que dit le texte, vérifié sur les mesures ci-dessus (la construction les refait si elles le contredisent)
assert part_parallelisme <= 1.25 * k, f"Ray gagne {part_parallelisme:.2f} sur la version découpée locale, plus que k = {k}"
assert temps["locale découpée"][0] < min(temps["locale"][0], temps["Ray"][0]), "petites listes : le découpé local n'est pas le plus rapide"
# --8<-- [end:verification_mesures]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
